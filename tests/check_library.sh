#!/usr/bin/env bash
# Checks the built libtorchebm.so as the linker and loader see it:
#   - it exports exactly the functions that include/torchebm.h declares, all ebm_-prefixed;
#   - its SONAME is libtorchebm.so.<major version of the header>, and a symlink of that name
#     beside it leads to it (programs linked with -ltorchebm need that name);
#   - its RUNPATH names the libtorch it was built against;
#   - libtorch_cuda is not NEEDED (src/cuda_backend.rs loads it on first use of libtorch,
#     from beside libtorch_cpu: tests/c/test_lazy_cuda.c checks that part at run time).
# Usage: tests/check_library.sh path/to/libtorchebm.so path/to/torchebm.h
set -euo pipefail
library=$1
header=$2
failed=0
fail() { echo "FAIL $*"; failed=1; }

exported=$(nm -D --defined-only "$library" | awk '$2 == "T" || $2 == "D" || $2 == "B" || $2 == "R" {print $3}' | sort)
foreign=$(grep -v '^ebm_' <<<"$exported" || true)
[[ -z "$foreign" ]] || fail "exports symbols without the ebm_ prefix: $(tr '\n' ' ' <<<"$foreign")"

declared=$(grep -oE '\bebm_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
undeclared=$(comm -13 <(echo "$declared") <(echo "$exported"))
[[ -z "$missing" ]] || fail "declared in the header but not exported: $(tr '\n' ' ' <<<"$missing")"
[[ -z "$undeclared" ]] || fail "exported but not declared in the header: $(tr '\n' ' ' <<<"$undeclared")"

major=$(sed -n 's/^#define EBM_VERSION_MAJOR \([0-9]*\)$/\1/p' "$header")
soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ "$soname" == "libtorchebm.so.$major" ]] || fail "SONAME is '$soname', not libtorchebm.so.$major"
if [[ -n "$soname" ]]; then
    link="$(dirname "$library")/$soname"
    [[ -L "$link" && "$link" -ef "$library" ]] || fail "$link is not a symlink to $library (make build makes it)"
fi

runpath=$(readelf -d "$library" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[[ -n "$runpath" ]] || fail "no RUNPATH"
libtorch_lib=""
IFS=: read -ra dirs <<<"$runpath"
for dir in "${dirs[@]}"; do
    [[ -f "$dir/libtorch_cpu.so" ]] && libtorch_lib=$dir
done
[[ -n "$libtorch_lib" ]] || fail "RUNPATH '$runpath' does not lead to libtorch_cpu.so"
if readelf -d "$library" | grep -q 'NEEDED.*\[libtorch_cuda\.so\]'; then
    fail "libtorch_cuda.so is NEEDED: every host would load CUDA at start-up"
fi
cuda="CPU-only libtorch (no libtorch_cuda.so)"
[[ -n "$libtorch_lib" && -f "$libtorch_lib/libtorch_cuda.so" ]] && cuda="libtorch_cuda.so beside it, not NEEDED"

[[ $failed == 0 ]] || exit 1
echo "ok   $(wc -l <<<"$exported") exported functions, all ebm_ and all declared; SONAME $soname; RUNPATH $runpath; $cuda"
