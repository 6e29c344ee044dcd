#!/usr/bin/env bash
# CI's hardening stage (docs/hardening.md), after the README's test command:
#   1. the whole test suite built and run under AddressSanitizer + UndefinedBehaviorSanitizer,
#   2. the engine's tests (HTTP and WebSocket: the code with threads) under ThreadSanitizer,
#   3. each libFuzzer target for FUZZ_SECONDS (default 60) from its corpus in fuzz/corpus/.
# Any finding fails the stage: the sanitizers abort the process that hits one (so its test
# fails), libFuzzer exits non-zero and leaves the input in $ARTIFACTS (default build-fuzz/findings).
# Warnings are errors in these builds (the presets set SHOOTOUT_WERROR).
#
#   scripts/ci-hardening.sh                 everything
#   scripts/ci-hardening.sh asan tsan fuzz  some stages
#   FUZZ_SECONDS=10 scripts/ci-hardening.sh fuzz
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fuzz_seconds=${FUZZ_SECONDS:-60}
artifacts=${ARTIFACTS:-$root/build-fuzz/findings}
jobs=${JOBS:-$(nproc)}
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(asan tsan fuzz)

# The options CI runs with (the test presets set the same for ctest): stop at the first
# finding, with a stack, and count leaks as findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}

step() { echo "== hardening: $* ($(date -u +%H:%M:%S))"; }

asan() {
    step "ASan+UBSan: build"
    cmake --preset asan-ubsan >/dev/null
    cmake --build --preset asan-ubsan -j"$jobs"
    step "ASan+UBSan: the whole test suite"
    ctest --preset asan-ubsan
}

tsan() {
    step "TSan: build"
    cmake --preset tsan >/dev/null
    cmake --build --preset tsan -j"$jobs"
    step "TSan: the engine's tests"
    ctest --preset tsan
}

fuzz() {
    step "fuzz: build (clang, libFuzzer, ASan+UBSan)"
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j"$jobs"
    mkdir -p "$artifacts"
    local target failed=0
    for target in http1_response websocket_decoder raw_result_json manifest_text; do
        step "fuzz: $target for ${fuzz_seconds}s"
        # New inputs go to a scratch directory: the corpus in the tree changes only by hand
        # (docs/hardening.md says how to merge).
        local scratch
        scratch=$(mktemp -d)
        # A fixed seed (FUZZ_SEED) makes CI's run the one a developer reproduces; exploring new
        # inputs is a longer run by hand with another seed (docs/hardening.md).
        if ! build-fuzz/bin/fuzz_"$target" -seed="${FUZZ_SEED:-1}" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "$scratch" "fuzz/corpus/$target" \
                >"$artifacts/$target.log" 2>&1; then
            tail -n 60 "$artifacts/$target.log"
            echo "FAIL: fuzz_$target found a problem; the input is in $artifacts/ (see $artifacts/$target.log)" >&2
            failed=1
        fi
        grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "$artifacts/$target.log" || true
        rm -rf "$scratch"
    done
    return "$failed"
}

for s in "${stages[@]}"; do
    case $s in
        asan | tsan | fuzz) "$s" ;;
        *) echo "ci-hardening: unknown stage '$s' (stages: asan tsan fuzz)" >&2; exit 2 ;;
    esac
done
step "done: no finding"
