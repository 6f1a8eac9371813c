#!/usr/bin/env bash
# Provides libtorch 2.13.0 (the version tch 0.26 expects) and points ./.libtorch at it.
#
#   scripts/setup-libtorch.sh           prints the libtorch directory
#   scripts/setup-libtorch.sh --python  prints the cache's Python, which has torch 2.13.0,
#                                       torchebm 0.8.9, numpy and arviz 0.23.4 (the parity
#                                       tests' references)
#
# - LIBTORCH set: that libtorch is used as it is (build.rs checks its version).
# - otherwise: torch==2.13.0, torchebm==0.8.9, numpy and arviz==0.23.4 are pip-installed once into a virtual
#   environment in a cache shared by every clone: $TORCHEBM_CACHE_DIR, else
#   $XDG_CACHE_HOME/libtorchebm, else ~/.cache/libtorchebm. About 4.7 GB, a minute or two.
#
# Idempotent, and safe to run from several clones at once.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
torch_version=2.13.0
torchebm_version=0.8.9
# The reference of the convergence diagnostics (tests/python/diagnostics_arviz.py).
arviz_version=0.23.4

cache_dir=${TORCHEBM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libtorchebm}
python=${PYTHON:-python3}

# Creates the cache's virtual environment once; prints its directory.
ensure_venv() {
    local py_tag venv
    py_tag=$("$python" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
    venv="$cache_dir/torch-$torch_version-$py_tag"
    mkdir -p "$cache_dir"
    # One installer at a time; the others wait, then reuse its result.
    exec 9>"$cache_dir/.lock"
    flock 9
    if [[ ! -f "$venv/.complete" ]]; then
        echo "setup-libtorch: installing torch==$torch_version into $venv (about 4.7 GB, once)" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "torch==$torch_version" "torchebm==$torchebm_version" numpy >&2
        touch "$venv/.complete"
    fi
    # Added after the first caches were made: installed into those too.
    if ! "$venv/bin/python" -c 'import arviz' 2>/dev/null; then
        echo "setup-libtorch: installing arviz==$arviz_version into $venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "arviz==$arviz_version" >&2
    fi
    flock -u 9
    echo "$venv"
}

if [[ "${1:-}" == "--python" ]]; then
    echo "$(ensure_venv)/bin/python"
    exit 0
fi

if [[ -n "${LIBTORCH:-}" ]]; then
    if [[ ! -f "$LIBTORCH/lib/libtorch_cpu.so" ]]; then
        echo "setup-libtorch: LIBTORCH=$LIBTORCH has no lib/libtorch_cpu.so" >&2
        exit 1
    fi
    libtorch=$(cd "$LIBTORCH" && pwd)
else
    venv=$(ensure_venv)
    libtorch="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/torch"
fi

ln -sfn "$libtorch" "$repo_root/.libtorch"
echo "$libtorch"
