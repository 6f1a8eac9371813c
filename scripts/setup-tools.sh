#!/usr/bin/env bash
# Provides the test tools that this machine kind lacks, from PyPI, in a virtual environment in
# the same shared cache as libtorch (see setup-libtorch.sh): CMake (the install test's
# find_package check) and tree-sitter with its C and Julia grammars (the static check of the
# Julia bindings, since no Julia runtime can be installed here). Prints the environment's bin
# directory. Idempotent, and safe to run from several clones at once.
set -euo pipefail

cache_dir=${TORCHEBM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libtorchebm}
python=${PYTHON:-python3}
# Pinned, so that the checks see the same grammars everywhere; a change here makes a new
# environment beside the old one.
requirements=(cmake==4.4.5 tree-sitter==0.26.1 tree-sitter-c==0.24.2 tree-sitter-julia==0.23.1)

tag=$(printf '%s\n' "${requirements[@]}" | sha256sum | cut -c1-12)
venv="$cache_dir/tools-$tag"
mkdir -p "$cache_dir"
exec 9>"$cache_dir/.tools.lock"
flock 9
if [[ ! -f "$venv/.complete" ]]; then
    echo "setup-tools: installing ${requirements[*]} into $venv (once)" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}" >&2
    touch "$venv/.complete"
fi
flock -u 9
echo "$venv/bin"
