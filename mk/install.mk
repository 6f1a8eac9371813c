# Installation: make install [PREFIX=/usr/local] [DESTDIR=/staging] [LIBDIR=...] [INCLUDEDIR=...]
#
#   $(LIBDIR)/libtorchebm.so.X.Y.Z                    the library without its debug information
#                                                     (built beforehand: make build)
#   $(LIBDIR)/.debug/libtorchebm.so.X.Y.Z.debug       its debug information, which GDB finds
#                                                     through the library's .gnu_debuglink (it
#                                                     looks in .debug/ beside the library)
#   $(LIBDIR)/libtorchebm.so.X -> libtorchebm.so.X.Y.Z its SONAME, which programs record and load
#   $(LIBDIR)/libtorchebm.so -> libtorchebm.so.X.Y.Z   the name -ltorchebm finds when linking
#   $(INCLUDEDIR)/torchebm.h                          the C header
#   $(INCLUDEDIR)/torchebm.hpp                        the C++ wrapper (when bindings/cpp has it)
#   $(INCLUDEDIR)/torchebm_dispatch.hpp               its generated _f32/_f64 table (it includes it)
#   $(LIBDIR)/pkgconfig/torchebm.pc                   pkg-config --cflags --libs torchebm
#   $(LIBDIR)/cmake/torchebm/torchebmConfig*.cmake    find_package(torchebm) -> torchebm::torchebm
#
# The debug information, most of the built file (release builds keep it for backtraces and
# profilers), is split off (objcopy --only-keep-debug, --strip-debug, --add-gnu-debuglink):
# hosts load and ship a small library, and GDB still finds the rest.
#
# X.Y.Z is the version, X the major version of the SONAME (build.rs sets it): programs load
# whatever libtorchebm.so.X leads to, so installing another X.* release replaces the library
# under them. The library keeps its RUNPATH to the libtorch it was built against, which must
# stay where it is. The .pc file's Libs carry -Wl,-rpath,${libdir} so that programs linked
# with it run without LD_LIBRARY_PATH or ldconfig, except when LIBDIR is a directory the
# dynamic loader searches anyway (/usr/lib, /lib, ...); PC_RPATH=0 leaves it out, PC_RPATH=1
# forces it.
#
# The CMake package's torchebm::torchebm carries the same rpath (INTERFACE_LINK_OPTIONS, computed
# from the package's own location, so a moved tree still works): programs built with it run
# from the build tree and after `cmake --install` alike, where CMake would otherwise strip its
# own build rpath to the empty install rpath (exit 127: libtorchebm.so.X not found).
#
# make uninstall (same variables) removes exactly these files and links, then the directories
# that install created (recorded, relative to PREFIX, in $(CREATED_DIRS_FILE)) once they are
# empty: never a directory that existed before install, nor one that still holds anything.
# make test-install checks the whole thing in a temporary prefix (tests/install/run.sh).

PREFIX     ?= /usr/local
DESTDIR    ?=
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PC_RPATH   ?= auto
INSTALL    ?= install
OBJCOPY    ?= objcopy

CPP_WRAPPER := bindings/cpp/torchebm.hpp
CPP_DISPATCH := bindings/cpp/torchebm_dispatch.hpp
DEBUG_DIR := $(LIBDIR)/.debug
PKGCONFIG_DIR := $(LIBDIR)/pkgconfig
CMAKE_PKG_DIR := $(LIBDIR)/cmake/torchebm
CREATED_DIRS_FILE := $(CMAKE_PKG_DIR)/installed-directories
INSTALL_DIRS = '$(LIBDIR)' '$(DEBUG_DIR)' '$(INCLUDEDIR)' '$(PKGCONFIG_DIR)' '$(CMAKE_PKG_DIR)'

# The version, from the header's EBM_VERSION macros (generated from Cargo.toml).
ebm_version_macro = $(shell sed -n 's/^\#define EBM_VERSION_$(1) \([0-9]*\)$$/\1/p' include/torchebm.h)
TORCHEBM_VERSION = $(call ebm_version_macro,MAJOR).$(call ebm_version_macro,MINOR).$(call ebm_version_macro,PATCH)
# The installed file and its SONAME link (the library's own SONAME is checked against it).
LIB_REAL   = libtorchebm.so.$(TORCHEBM_VERSION)
LIB_SONAME = libtorchebm.so.$(call ebm_version_macro,MAJOR)

# Directories the dynamic loader searches without being told (no rpath needed there).
SYSTEM_LIBDIRS = /lib /lib64 /usr/lib /usr/lib64 /lib/$(shell $(CC) -print-multiarch 2>/dev/null) \
                  /usr/lib/$(shell $(CC) -print-multiarch 2>/dev/null)
pc_rpath_flag = $(if $(filter 1,$(PC_RPATH)),$(_pc_rpath),$(if $(filter 0,$(PC_RPATH)),,$(if \
                $(filter $(SYSTEM_LIBDIRS),$(patsubst %/,%,$(LIBDIR))),,$(_pc_rpath))))
_pc_empty :=
_pc_rpath := $(_pc_empty) -Wl,-rpath,$${libdir}

# Relative paths for the CMake package, which computes its prefix from its own location.
relative = $(shell realpath -m --relative-to='$(2)' '$(1)')

.PHONY: install uninstall test-install

install:
	@test -f $(LIBRARY) || { echo "install: $(LIBRARY) is missing: run 'make build' first" >&2; exit 1; }
	@case '$(PREFIX)' in /*) ;; *) echo "install: PREFIX must be an absolute path" >&2; exit 1;; esac
	@case '$(LIBDIR)' in '$(PREFIX)'/*) ;; *) echo "install: LIBDIR must be under PREFIX" >&2; exit 1;; esac
	@case '$(INCLUDEDIR)' in '$(PREFIX)'/*) ;; *) echo "install: INCLUDEDIR must be under PREFIX" >&2; exit 1;; esac
	@# The directories about to be created (each install directory and its missing parents up
	@# to PREFIX), relative to PREFIX ('.' for PREFIX itself), joined to those of earlier installs.
	@created=$$(for dir in $(INSTALL_DIRS); do \
	    while [ ! -d '$(DESTDIR)'"$$dir" ]; do \
	        rel=$${dir#'$(PREFIX)'}; rel=$${rel#/}; echo "$${rel:-.}"; \
	        [ "$$dir" = '$(PREFIX)' ] && break; dir=$$(dirname "$$dir"); \
	    done; \
	done); \
	for dir in $(INSTALL_DIRS); do \
	    echo "$(INSTALL) -d '$(DESTDIR)$$dir'"; $(INSTALL) -d '$(DESTDIR)'"$$dir" || exit 1; \
	done; \
	created=$$({ cat '$(DESTDIR)$(CREATED_DIRS_FILE)' 2>/dev/null; printf '%s\n' "$$created"; } | sed '/^$$/d' | sort -u) && \
	printf '%s\n' "$$created" | sed '/^$$/d' > '$(DESTDIR)$(CREATED_DIRS_FILE)' && \
	chmod 644 '$(DESTDIR)$(CREATED_DIRS_FILE)'
	@soname=$$($(call soname_of,$(LIBRARY))); test "$$soname" = '$(LIB_SONAME)' || { echo "install: \
	  $(LIBRARY)'s SONAME is '$$soname', not $(LIB_SONAME): header and library differ (make build)" >&2; exit 1; }
	$(OBJCOPY) --only-keep-debug $(LIBRARY) '$(DESTDIR)$(DEBUG_DIR)/$(LIB_REAL).debug'
	$(OBJCOPY) --strip-debug --add-gnu-debuglink='$(DESTDIR)$(DEBUG_DIR)/$(LIB_REAL).debug' \
	    $(LIBRARY) '$(DESTDIR)$(LIBDIR)/$(LIB_REAL)'
	chmod 755 '$(DESTDIR)$(LIBDIR)/$(LIB_REAL)'
	chmod 644 '$(DESTDIR)$(DEBUG_DIR)/$(LIB_REAL).debug'
	ln -sfn $(LIB_REAL) '$(DESTDIR)$(LIBDIR)/$(LIB_SONAME)'
	ln -sfn $(LIB_REAL) '$(DESTDIR)$(LIBDIR)/libtorchebm.so'
	$(INSTALL) -m 644 include/torchebm.h '$(DESTDIR)$(INCLUDEDIR)/torchebm.h'
	$(INSTALL) -m 644 include/torchebm_mpi.h '$(DESTDIR)$(INCLUDEDIR)/torchebm_mpi.h'
	$(if $(wildcard $(CPP_WRAPPER)),$(INSTALL) -m 644 $(CPP_WRAPPER) '$(DESTDIR)$(INCLUDEDIR)/torchebm.hpp',@echo "install: no $(CPP_WRAPPER) yet: C++ wrapper not installed")
	$(if $(wildcard $(CPP_DISPATCH)),$(INSTALL) -m 644 $(CPP_DISPATCH) '$(DESTDIR)$(INCLUDEDIR)/torchebm_dispatch.hpp')
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@VERSION@|$(TORCHEBM_VERSION)|g' -e 's|@RPATH_FLAG@|$(pc_rpath_flag)|g' \
	    packaging/torchebm.pc.in > '$(DESTDIR)$(PKGCONFIG_DIR)/torchebm.pc'
	sed -e 's|@VERSION@|$(TORCHEBM_VERSION)|g' -e 's|@SONAME@|$(LIB_SONAME)|g' \
	    -e 's|@CONFIG_TO_PREFIX@|$(call relative,$(PREFIX),$(CMAKE_PKG_DIR))|g' \
	    -e 's|@LIBDIR_REL@|$(call relative,$(LIBDIR),$(PREFIX))|g' \
	    -e 's|@INCLUDEDIR_REL@|$(call relative,$(INCLUDEDIR),$(PREFIX))|g' \
	    packaging/torchebmConfig.cmake.in > '$(DESTDIR)$(CMAKE_PKG_DIR)/torchebmConfig.cmake'
	sed -e 's|@VERSION@|$(TORCHEBM_VERSION)|g' -e 's|@VERSION_MAJOR@|$(call ebm_version_macro,MAJOR)|g' \
	    -e 's|@VERSION_MINOR@|$(call ebm_version_macro,MINOR)|g' \
	    packaging/torchebmConfigVersion.cmake.in > '$(DESTDIR)$(CMAKE_PKG_DIR)/torchebmConfigVersion.cmake'
	chmod 644 '$(DESTDIR)$(PKGCONFIG_DIR)/torchebm.pc' '$(DESTDIR)$(CMAKE_PKG_DIR)/torchebmConfig.cmake' \
	    '$(DESTDIR)$(CMAKE_PKG_DIR)/torchebmConfigVersion.cmake'

uninstall:
	rm -f '$(DESTDIR)$(LIBDIR)/libtorchebm.so' '$(DESTDIR)$(LIBDIR)/$(LIB_SONAME)' '$(DESTDIR)$(LIBDIR)/$(LIB_REAL)' \
	    '$(DESTDIR)$(DEBUG_DIR)/$(LIB_REAL).debug' \
	    '$(DESTDIR)$(INCLUDEDIR)/torchebm.h' \
	    '$(DESTDIR)$(INCLUDEDIR)/torchebm_mpi.h' \
	    '$(DESTDIR)$(INCLUDEDIR)/torchebm.hpp' '$(DESTDIR)$(INCLUDEDIR)/torchebm_dispatch.hpp' \
	    '$(DESTDIR)$(PKGCONFIG_DIR)/torchebm.pc' \
	    '$(DESTDIR)$(CMAKE_PKG_DIR)/torchebmConfig.cmake' '$(DESTDIR)$(CMAKE_PKG_DIR)/torchebmConfigVersion.cmake'
	@# The directories install created, deepest first (a child sorts after its parent), each
	@# only if empty; without the record (an older install), this package's own two.
	@if [ -f '$(DESTDIR)$(CREATED_DIRS_FILE)' ]; then \
	    created=$$(sort -ru '$(DESTDIR)$(CREATED_DIRS_FILE)'); rm -f '$(DESTDIR)$(CREATED_DIRS_FILE)'; \
	else \
	    created=$$(printf '%s\n' '$(patsubst $(PREFIX)/%,%,$(CMAKE_PKG_DIR))' '$(patsubst $(PREFIX)/%,%,$(DEBUG_DIR))'); \
	fi; \
	printf '%s\n' "$$created" | while IFS= read -r rel; do \
	    [ -n "$$rel" ] || continue; \
	    if [ "$$rel" = . ]; then dir='$(DESTDIR)$(PREFIX)'; else dir='$(DESTDIR)$(PREFIX)'/"$$rel"; fi; \
	    if [ -d "$$dir" ] && rmdir "$$dir" 2>/dev/null; then echo "rmdir $$dir"; fi; \
	done

# Installs into a temporary prefix, then builds and runs a C program through pkg-config alone
# and a C/C++ project through CMake's find_package alone (tests/install/run.sh).
test-install: build
	@CC='$(CC)' CXX='$(CXX)' CMAKE='$(TOOLS)/cmake' MAKE='$(MAKE)' tests/install/run.sh
