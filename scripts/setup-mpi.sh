#!/usr/bin/env bash
# Provides an MPI for `make test-mpi`: Debian's OpenMPI (openmpi-bin, libopenmpi-dev), installed
# with apt-get when mpicc or mpirun is missing. Prints the directory holding mpicc.
#
# - MPICC and MPIRUN set (or both already on PATH): nothing is installed; any MPI works.
# - otherwise, as root on Debian or Ubuntu: apt-get install, non-interactive and quiet (a few
#   seconds to a minute, once). Elsewhere it says what to install and fails.
#
# Idempotent: with MPI present it only looks it up. Safe to run from several clones at once
# (apt's own lock, waited for).
set -euo pipefail

mpicc=${MPICC:-$(command -v mpicc || true)}
mpirun=${MPIRUN:-$(command -v mpirun || true)}

if [[ -z "$mpicc" || -z "$mpirun" ]]; then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "setup-mpi: no mpicc/mpirun found; install an MPI (e.g. apt-get install openmpi-bin" \
             "libopenmpi-dev) or set MPICC and MPIRUN" >&2
        exit 1
    fi
    echo "setup-mpi: installing openmpi-bin libopenmpi-dev with apt-get (once)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt_quiet=(-qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)
    # A fresh container has no package lists; an old list may name removed versions.
    if ! apt-get "${apt_quiet[@]}" install -y --no-install-recommends openmpi-bin libopenmpi-dev \
            >/dev/null 2>&1; then
        apt-get "${apt_quiet[@]}" update >/dev/null
        apt-get "${apt_quiet[@]}" install -y --no-install-recommends openmpi-bin libopenmpi-dev >/dev/null
    fi
    mpicc=$(command -v mpicc)
    mpirun=$(command -v mpirun)
fi

dirname "$mpicc"
