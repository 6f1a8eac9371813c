#!/usr/bin/env bash
# Provides cargo-fuzz (pinned) for the fuzz targets in fuzz/ and prints the path of its binary.
#
# cargo-fuzz is installed once from crates.io with `cargo install --locked` into a cache
# shared by every clone, outside the checkout: $TORCHEBM_CACHE_DIR, else
# $XDG_CACHE_HOME/libtorchebm, else ~/.cache/libtorchebm (tools/cargo-fuzz-<version>).
# About a minute and a half on two cores, once.
#
# Idempotent, and safe to run from several clones at once.
set -euo pipefail

cargo_fuzz_version=0.13.1

cache_dir=${TORCHEBM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libtorchebm}
root="$cache_dir/tools/cargo-fuzz-$cargo_fuzz_version"
binary="$root/bin/cargo-fuzz"

mkdir -p "$cache_dir/tools"
# One installer at a time; the others wait, then reuse its result.
exec 9>"$cache_dir/tools/.cargo-fuzz.lock"
flock 9
if [[ ! -x "$binary" || ! -f "$root/.complete" ]]; then
    echo "setup-fuzz: installing cargo-fuzz $cargo_fuzz_version into $root (once)" >&2
    rm -rf "$root"
    # Any toolchain builds it; run from / so that no rust-toolchain file of a checkout applies.
    (cd / && cargo install --quiet --locked --version "$cargo_fuzz_version" --root "$root" cargo-fuzz) >&2
    touch "$root/.complete"
fi
flock -u 9
echo "$binary"
