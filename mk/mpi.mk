# Several processes through MPI: include/torchebm_mpi.h, tests/mpi/test_mpi.c,
# tests/mpi/test_mpi_cpp.cpp (the C++ wrapper) and examples/c/train_mpi.c, built with
# mpicc/mpicxx and run on MPI_RANKS ranks (Debian's OpenMPI,
# installed by scripts/setup-mpi.sh when mpicc is missing). About 15 s.
#
#   make test-mpi                  2 ranks
#   make test-mpi MPI_RANKS=4      any count dividing 64
#   MPICC=... MPIRUN=... make test-mpi   another MPI (MPIRUN_FLAGS: its launcher's options)
#
# test_mpi compares P ranks with one process computed in the same program: data-parallel CD
# and score-matching training (parameters within 1e-9 relative in double precision, 1e-5 in
# float), sharded Langevin and MALA chains (bit for bit) and their combined statistics
# (1e-12), failure agreement, and controls that must differ. train_mpi is the C example.
# The OMPI_* settings make OpenMPI work as root in a container without network: shared
# memory between the ranks without the ptrace-based single copy, TCP and the launcher's
# own channel on loopback only, no UCX, oversubscription (more ranks than cores) allowed;
# other MPIs ignore them. Each run is bounded by MPI_TIMEOUT seconds, so that a rank left
# waiting fails the test instead of hanging it.

MPI_BIN      = $(shell scripts/setup-mpi.sh)
MPICC       ?= $(MPI_BIN)/mpicc
MPICXX      ?= $(MPI_BIN)/mpicxx
MPIRUN      ?= $(MPI_BIN)/mpirun
MPIRUN_FLAGS ?=
MPI_RANKS   ?= 2
MPI_TIMEOUT ?= 120
MPI_BUILD   := $(BUILD)/mpi
MPI_ENV     := OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
               OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none \
               OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_vader_single_copy_mechanism=none \
               OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
MPI_RUN      = $(MPI_ENV) timeout --kill-after=10 $(MPI_TIMEOUT) $(MPIRUN) $(MPIRUN_FLAGS) -n $(MPI_RANKS)

.PHONY: test-mpi

$(MPI_BUILD)/test_mpi: tests/mpi/test_mpi.c tests/c/check.h include/torchebm_mpi.h include/torchebm.h $(LIBRARY)
	@mkdir -p $(@D)
	$(MPICC) $(WARNINGS) $(CFLAGS) $< -o $@ $(LINK) -lm

$(MPI_BUILD)/train_mpi: examples/c/train_mpi.c include/torchebm_mpi.h include/torchebm.h $(LIBRARY)
	@mkdir -p $(@D)
	$(MPICC) $(WARNINGS) $(CFLAGS) $< -o $@ $(LINK) -lm

# The companion header from C++, with the C++ wrapper's all-reduce methods (without MPI's
# own deprecated C++ bindings, whose casts -Werror refuses).
$(MPI_BUILD)/test_mpi_cpp: tests/mpi/test_mpi_cpp.cpp include/torchebm_mpi.h bindings/cpp/torchebm.hpp \
                           include/torchebm.h $(LIBRARY)
	@mkdir -p $(@D)
	$(MPICXX) -std=c++17 -Wall -Wextra -Wpedantic -Werror -DOMPI_SKIP_MPICXX -DMPICH_SKIP_MPICXX $(CFLAGS) $< -o $@ -I$(CURDIR)/bindings/cpp $(LINK)

test-mpi: build $(MPI_BUILD)/test_mpi $(MPI_BUILD)/test_mpi_cpp $(MPI_BUILD)/train_mpi
	@echo "== test_mpi on $(MPI_RANKS) ranks"; $(MPI_RUN) $(MPI_BUILD)/test_mpi
	@echo "== test_mpi_cpp on $(MPI_RANKS) ranks"; $(MPI_RUN) $(MPI_BUILD)/test_mpi_cpp
	@echo "== examples/c/train_mpi.c on $(MPI_RANKS) ranks"; $(MPI_RUN) $(MPI_BUILD)/train_mpi
