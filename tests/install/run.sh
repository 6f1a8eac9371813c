#!/usr/bin/env bash
# make test-install: installs libtorchebm into a fresh temporary prefix and uses it as a user
# would, with nothing of the repository on any command line:
#   - a C program built with `pkg-config --cflags --libs torchebm` alone;
#   - a C and a C++ program built by CMake with find_package(torchebm) and torchebm::torchebm
#     alone, after moving the installed tree elsewhere (the CMake package is relocatable);
#   - all run from another working directory without LD_LIBRARY_PATH, the CMake ones also
#     after `cmake --install` into yet another prefix (torchebm::torchebm carries the rpath);
#   - the installed library is libtorchebm.so.X.Y.Z with its SONAME libtorchebm.so.X, the
#     links libtorchebm.so.X and libtorchebm.so lead to it, and programs record NEEDED
#     libtorchebm.so.X;
#   - the installed library carries no debug information: that is in lib/.debug/, named by its
#     .gnu_debuglink, and GDB (when installed) finds it there;
#   - the installed library resolves libtorch; DESTDIR staging and make uninstall work, and
#     uninstall removes the directories install created once empty, and only those.
# Environment: CC, CXX, MAKE, and CMAKE (the cmake of scripts/setup-tools.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CC:-cc}
CXX=${CXX:-c++}
MAKE=${MAKE:-make}
CMAKE=${CMAKE:-cmake}
unset LD_LIBRARY_PATH CMAKE_PREFIX_PATH PKG_CONFIG_PATH CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH LIBRARY_PATH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/torchebm-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# make install/uninstall with every location given, so that nothing is inherited from the
# calling make's command line or the environment.
install_make() {
    local target=$1 destdir=$2 prefix=$3
    quiet "$MAKE" -C "$root" --no-print-directory "$target" DESTDIR="$destdir" PREFIX="$prefix" \
        LIBDIR="$prefix/lib" INCLUDEDIR="$prefix/include" PC_RPATH=auto
}
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
step() { echo "== install: $*"; }
# Runs "$@" quietly; shows its output when it fails.
quiet() { "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; fail "$*"; }; }

version=$(sed -n 's/^#define EBM_VERSION "\(.*\)"$/\1/p' "$root/include/torchebm.h")
soname="libtorchebm.so.${version%%.*}"
have_hpp=0
[[ -f "$root/bindings/cpp/torchebm.hpp" ]] && have_hpp=1

# 1. make install into a fresh prefix.
prefix="$tmp/prefix"
step "make install PREFIX=$prefix"
install_make install "" "$prefix"
for f in "lib/libtorchebm.so.$version" include/torchebm.h include/torchebm_mpi.h lib/pkgconfig/torchebm.pc \
         lib/cmake/torchebm/torchebmConfig.cmake lib/cmake/torchebm/torchebmConfigVersion.cmake; do
    [[ -f "$prefix/$f" ]] || fail "$f not installed"
done
if ((have_hpp)); then
    cmp -s "$root/bindings/cpp/torchebm.hpp" "$prefix/include/torchebm.hpp" || fail "include/torchebm.hpp not installed"
    cmp -s "$root/bindings/cpp/torchebm_dispatch.hpp" "$prefix/include/torchebm_dispatch.hpp" ||
        fail "include/torchebm_dispatch.hpp (included by torchebm.hpp) not installed"
fi

# 2. The library's names: the file, its SONAME and the development link.
step "lib/libtorchebm.so.$version, $soname, libtorchebm.so"
[[ ! -L "$prefix/lib/libtorchebm.so.$version" ]] || fail "libtorchebm.so.$version is a link, not the library"
for link in "$soname" libtorchebm.so; do
    [[ -L "$prefix/lib/$link" && "$(readlink "$prefix/lib/$link")" == "libtorchebm.so.$version" ]] ||
        fail "lib/$link is not a relative symlink to libtorchebm.so.$version"
done
installed_soname=$(readelf -d "$prefix/lib/libtorchebm.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ "$installed_soname" == "$soname" ]] || fail "SONAME is '$installed_soname', not $soname"

# 3. The debug information is split off into lib/.debug/, where debuggers look for it.
step "debug information in lib/.debug/libtorchebm.so.$version.debug"
library="$prefix/lib/libtorchebm.so.$version"
debug="$prefix/lib/.debug/libtorchebm.so.$version.debug"
[[ -f "$debug" ]] || fail "$debug not installed"
readelf -S "$library" | grep -q '\.debug_info' && fail "the installed library still has .debug_info"
readelf -S "$debug" | grep -q '\.debug_info' || fail "$debug has no .debug_info"
readelf -p .gnu_debuglink "$library" | grep -qF "libtorchebm.so.$version.debug" ||
    fail "the installed library's .gnu_debuglink does not name libtorchebm.so.$version.debug"
echo "   $(stat -c %s "$root/target/release/libtorchebm.so") bytes built -> $(stat -c %s "$library") installed" \
     "+ $(stat -c %s "$debug") of debug information"
if command -v gdb >/dev/null; then
    gdb -batch -ex 'info line ebm_version' "$prefix/lib/$soname" >"$tmp/gdb" 2>&1
    grep -q 'Line [0-9]* of "src/ffi/runtime.rs"' "$tmp/gdb" || { cat "$tmp/gdb" >&2; fail "gdb finds no line information"; }
fi

# 4. The installed library finds libtorch by itself (its RUNPATH).
step "ldd lib/libtorchebm.so"
ldd "$prefix/lib/libtorchebm.so" >"$tmp/ldd"
if grep -q "not found" "$tmp/ldd"; then cat "$tmp/ldd" >&2; fail "unresolved dependencies"; fi
grep -Eq '^\s*libtorch_cpu\.so => /' "$tmp/ldd" || { cat "$tmp/ldd" >&2; fail "libtorch_cpu.so not resolved"; }
grep -Eq '^\s*libc10\.so => /' "$tmp/ldd" || { cat "$tmp/ldd" >&2; fail "libc10.so not resolved"; }

# Runs a program from / with no LD_LIBRARY_PATH and checks that it printed `expected`.
run_elsewhere() {
    local program=$1 expected=$2 output
    output=$(cd / && env -u LD_LIBRARY_PATH "$program") || fail "$program failed: $output"
    grep -q "$expected" <<<"$output" || fail "$program printed: $output"
    echo "   $output"
}
# The program needs the library by its SONAME (not by an absolute path or libtorchebm.so).
check_needed() {
    readelf -d "$1" | grep '(NEEDED)' | grep -qF "[$soname]" ||
        { readelf -d "$1" >&2; fail "$1: NEEDED $soname missing"; }
}

# 5. A C program with pkg-config alone.
step "C program with pkg-config --cflags --libs torchebm"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[[ "$(pkg-config --modversion torchebm)" == "$version" ]] || fail "pkg-config --modversion: not $version"
flags=$(pkg-config --cflags --libs torchebm)
echo "   $flags"
[[ "$flags" != *"$root"* ]] || fail "pkg-config flags name the repository"
# shellcheck disable=SC2086 # flags are words
quiet "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror "$root/tests/install/c/main.c" -o "$tmp/app_pkgconfig" $flags -lm
check_needed "$tmp/app_pkgconfig"
run_elsewhere "$tmp/app_pkgconfig" "install-c ok"
# 3b. With an MPI compiler wrapper at hand, the installed torchebm_mpi.h builds the same way.
if command -v mpicc >/dev/null; then
    step "C program with torchebm_mpi.h: mpicc ... \$(pkg-config --cflags --libs torchebm)"
    printf '#include <torchebm_mpi.h>\nint main(void) { ebm_allreduce_fn f = ebm_mpi_allreduce; return f(NULL, 0, EBM_DTYPE_F64, NULL); }\n' >"$tmp/mpi.c"
    # shellcheck disable=SC2086 # flags are words
    quiet mpicc -std=c11 -Wall -Wextra -Wpedantic -Werror "$tmp/mpi.c" -o "$tmp/app_mpi" $flags
fi
unset PKG_CONFIG_PATH

# 6. The CMake package holds no absolute path: move the installed tree, then find_package
#    from the new place.
grep -rqF "$prefix" "$prefix/lib/cmake/torchebm" && fail "the CMake package names its install prefix"
moved="$tmp/moved prefix"   # a space on the way, as in many user paths
mv "$prefix" "$moved"
step "C and C++ programs with CMake find_package(torchebm), prefix moved to $moved"
cmake_args=(-G "Unix Makefiles" -DCMAKE_PREFIX_PATH="$moved" -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX"
            -DTORCHEBM_TEST_CPP_WRAPPER="$( ((have_hpp)) && echo ON || echo OFF)")
quiet "$CMAKE" -S "$root/tests/install/cmake" -B "$tmp/cmake-build" "${cmake_args[@]}"
grep -qF "torchebm $version in $moved/lib/cmake/torchebm" "$tmp/log" || { cat "$tmp/log" >&2; fail "find_package found another torchebm"; }
quiet "$CMAKE" --build "$tmp/cmake-build"
for app in app_c app_cpp; do check_needed "$tmp/cmake-build/$app"; done
run_elsewhere "$tmp/cmake-build/app_c" "install-c ok"
run_elsewhere "$tmp/cmake-build/app_cpp" "install-cpp ok"

# 6b. `cmake --install` replaces CMake's build rpath by the (empty) install rpath: the installed
#     programs still find the library through the rpath torchebm::torchebm adds.
apps="$tmp/apps prefix"
step "cmake --install the programs into $apps"
quiet "$CMAKE" --install "$tmp/cmake-build" --prefix "$apps"
for app in app_c app_cpp; do
    readelf -d "$apps/bin/$app" | grep -E '\((RUN)?PATH\)' | grep -qF "$moved/lib" ||
        { readelf -d "$apps/bin/$app" >&2; fail "installed $app: no rpath to $moved/lib"; }
done
run_elsewhere "$apps/bin/app_c" "install-c ok"
run_elsewhere "$apps/bin/app_cpp" "install-cpp ok"

# 7. make uninstall leaves nothing of ours: no file, and none of the directories install
#    created (here all of them, the prefix included).
step "make uninstall"
install_make uninstall "" "$moved"
[[ ! -e "$moved" ]] || fail "left after uninstall: $(find "$moved")"

# 7b. Directories that existed before install stay, empty or not; those install created go.
step "make uninstall into a prefix that had include/ (with a file) and an empty lib/pkgconfig/"
shared="$tmp/shared"
mkdir -p "$shared/include" "$shared/lib/pkgconfig"
echo '/* the user'"'"'s */' >"$shared/include/other.h"
install_make install "" "$shared"
install_make install "" "$shared"   # a second install keeps the record of the first
install_make uninstall "" "$shared"
[[ -f "$shared/include/other.h" ]] || fail "uninstall removed the user's include/other.h"
[[ -d "$shared/lib/pkgconfig" ]] || fail "uninstall removed lib/pkgconfig, which existed before install"
for dir in lib/cmake lib/.debug; do
    [[ ! -e "$shared/$dir" ]] || fail "$dir, created by install, left after uninstall"
done
[[ -z "$(find "$shared" ! -type d ! -name other.h)" ]] || fail "left after uninstall: $(find "$shared")"

# 8. DESTDIR stages the files for PREFIX, which the generated files then name.
step "make install DESTDIR=... PREFIX=/opt/torchebm"
stage="$tmp/stage"
install_make install "$stage" /opt/torchebm
[[ -f "$stage/opt/torchebm/lib/libtorchebm.so.$version" && -L "$stage/opt/torchebm/lib/$soname" ]] ||
    fail "DESTDIR: library not staged"
grep -qx 'prefix=/opt/torchebm' "$stage/opt/torchebm/lib/pkgconfig/torchebm.pc" || fail "DESTDIR: .pc prefix"
grep -rqF "$stage" "$stage/opt/torchebm/lib" && fail "DESTDIR: staging path in the installed files"
install_make uninstall "$stage" /opt/torchebm
left=$(find "$stage" ! -type d)
[[ -z "$left" ]] || fail "DESTDIR: left after uninstall: $left"
[[ ! -e "$stage/opt/torchebm" ]] || fail "DESTDIR: left after uninstall: $(find "$stage/opt/torchebm")"

echo "install test passed ($( ((have_hpp)) && echo "with torchebm.hpp" || echo "bindings/cpp/torchebm.hpp absent: C API only from C++"))"
