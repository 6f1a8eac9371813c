#!/usr/bin/env bash
# Builds and runs the fuzz targets of fuzz/ (used by mk/fuzz.mk; see fuzz/README.md).
#
#   fuzz/run.sh build                      builds every target (cargo fuzz build)
#   fuzz/run.sh run SECONDS [TARGET...]    runs each target (default: all) for SECONDS, one
#                                          after the other; one summary line per target
#   fuzz/run.sh repro TARGET FILE...       runs TARGET once on each FILE (a crash reproducer)
#   fuzz/run.sh history                    per target: runs and seconds since its last crash
#
# Toolchain: the default (stable) one with RUSTC_BOOTSTRAP=1, which unlocks the -Z flags
# cargo-fuzz passes (rustup cannot fetch a nightly here); FUZZ_TOOLCHAIN=nightly (or any
# installed toolchain) uses that one instead.
#
# Working corpora grow in $FUZZ_WORK/corpus/TARGET (default build/fuzz), seeded from the
# committed fuzz/corpus/TARGET, which stays as it is; crash reproducers are written to
# fuzz/artifacts/TARGET/; logs to $FUZZ_WORK/logs/; each run appends a line to
# $FUZZ_WORK/history.tsv.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
work=${FUZZ_WORK:-$repo/build/fuzz}
triple=x86_64-unknown-linux-gnu
# Release with debug assertions and overflow checks (std's unsafe-precondition checks too),
# AddressSanitizer. 16 codegen units: a much faster build of the library, little slower to run.
# The instrumented build (libtorch's C++ glue and tch included, about 15 CPU minutes) lives in
# the cache shared by every clone, like libtorch, so that it is built once per machine:
# FUZZ_TARGET_DIR, else $TORCHEBM_CACHE_DIR/fuzz-target, else ~/.cache/libtorchebm/fuzz-target.
cache_dir=${TORCHEBM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libtorchebm}
target_dir=${FUZZ_TARGET_DIR:-$cache_dir/fuzz-target}
build_flags=(-O -a --codegen-units 16 --target "$triple" --target-dir "$target_dir")
bin_dir=$target_dir/$triple/release
targets=(energy_new energy_eval sampler training dataset load_model load_checkpoint load_torchscript)

# AddressSanitizer: allocation failures return NULL as without ASan (libtorch then throws, the
# library reports it); every other check at its default. Leaks are checked per input by
# libFuzzer (its default -detect_leaks=1); fuzz/lsan.supp is for libtorch's one-time
# allocations, none of which has needed a suppression so far.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$repo/fuzz/lsan.supp:print_suppressions=0}
# libFuzzer: an input running over 30 s is a hang; a 2 GB RSS limit is generous (libtorch
# itself takes about 400 MB) but big single allocations are judged by the library's own
# checks, not by libFuzzer's malloc limit.
fuzzer_flags=(-timeout=30 -rss_limit_mb=3072 -malloc_limit_mb=1000000 -print_final_stats=1)

cargo_fuzz() {
    local cargo_fuzz toolchain
    cargo_fuzz=$(scripts/setup-fuzz.sh)
    scripts/setup-libtorch.sh >/dev/null
    # The toolchain that builds the library (stable) unless FUZZ_TOOLCHAIN names another: one
    # build in the cache, on every machine, nightly or not.
    toolchain=${FUZZ_TOOLCHAIN:-}
    if [[ -n "$toolchain" ]]; then
        export RUSTUP_TOOLCHAIN=$toolchain
    fi
    if [[ "$toolchain" != nightly* ]]; then
        export RUSTC_BOOTSTRAP=1
    fi
    echo "fuzz: cargo fuzz with toolchain ${toolchain:-default}${RUSTC_BOOTSTRAP:+ (RUSTC_BOOTSTRAP=1)}: $(rustc --version)" >&2
    "$cargo_fuzz" fuzz "$@"
}

build() {
    local start=$SECONDS
    cargo_fuzz build "${build_flags[@]}"
    echo "fuzz: built ${#targets[@]} targets in $((SECONDS - start)) s"
}

stat_of() { # stat_of NAME LOG
    sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -1
}

run_one() { # run_one TARGET SECONDS
    local target=$1 seconds=$2 log corpus status result runs execs units rss artifact start elapsed
    mkdir -p "$work/corpus/$target" "$work/logs" "fuzz/artifacts/$target" "fuzz/corpus/$target"
    log=$work/logs/$target.log
    start=$SECONDS
    status=0
    "$bin_dir/$target" "${fuzzer_flags[@]}" -max_total_time="$seconds" \
        -artifact_prefix="fuzz/artifacts/$target/" "$work/corpus/$target" "fuzz/corpus/$target" \
        >"$log" 2>&1 || status=$?
    elapsed=$((SECONDS - start))
    runs=$(stat_of number_of_executed_units "$log")
    execs=$(stat_of average_exec_per_sec "$log")
    units=$(ls "$work/corpus/$target" | wc -l)
    rss=$(stat_of peak_rss_mb "$log")
    artifact=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -1)
    if [[ $status -eq 0 ]]; then result=ok; else result="CRASH (exit $status)"; fi
    printf 'fuzz: %-17s %-16s runs %-9s %4s s  %5s exec/s  corpus %-5s rss %s MB%s\n' \
        "$target" "$result" "${runs:-?}" "$elapsed" "${execs:-?}" "$units" "${rss:-?}" \
        "${artifact:+  reproducer: $artifact}"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "${runs:-0}" "$elapsed" \
        "$([[ $status -eq 0 ]] && echo ok || echo crash)" "$(git rev-parse --short HEAD 2>/dev/null || echo -)" \
        >>"$work/history.tsv"
    if [[ $status -ne 0 ]]; then
        grep -E -A1 'panicked at' "$log" | head -2 | sed 's/^/    /'
        grep -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|^SUMMARY' "$log" | head -2 | sed 's/^/    /'
        echo "    log: $log"
    fi
    return "$status"
}

run() {
    local seconds=$1 failed=0 target
    shift
    (($# > 0)) || set -- "${targets[@]}"
    for target in "$@"; do
        run_one "$target" "$seconds" || failed=1
    done
    return "$failed"
}

repro() {
    local target=$1
    shift
    RUST_BACKTRACE=1 "$bin_dir/$target" -runs=1 "$@"
}

history() {
    [[ -f "$work/history.tsv" ]] || { echo "fuzz: no history in $work/history.tsv"; return; }
    # Runs and seconds since the last crash of each target, over every run recorded.
    printf '%-18s %14s %10s\n' target runs seconds
    awk -F'\t' '{ if ($5 == "crash") { runs[$2] = 0; secs[$2] = 0 } else { runs[$2] += $3; secs[$2] += $4 } seen[$2] = 1 }
        END { for (t in seen) printf "%-18s %14d %10d\n", t, runs[t], secs[t] }' "$work/history.tsv" | sort
}

case "${1:-}" in
build) build ;;
run) shift; run "$@" ;;
repro) shift; repro "$@" ;;
history) history ;;
*) sed -n '2,20p' "$0"; exit 2 ;;
esac
