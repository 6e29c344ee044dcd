#!/usr/bin/env bash
# CI's hardening stage (docs/hardening.md), after the README's test command:
#   1. the whole test suite built and run under AddressSanitizer + UndefinedBehaviorSanitizer,
#   2. the tests with threads (engine, WebSocket, observers, launcher, interrupts) under
#      ThreadSanitizer: a race fails it, the tests' timing figures are judged in the other stages,
#   3. each libFuzzer target for FUZZ_SECONDS (default 60) from its corpus in fuzz/corpus/.
# Any finding fails the stage: the sanitizers abort the process that hits one (so its test
# fails), libFuzzer exits non-zero and leaves the input in $ARTIFACTS (default build-fuzz/findings).
# Warnings are errors in these builds (the presets set SHOOTOUT_WERROR).
#
#   scripts/ci-hardening.sh                 everything
#   scripts/ci-hardening.sh asan tsan fuzz  some stages
#   FUZZ_SECONDS=10 scripts/ci-hardening.sh fuzz
#   ASAN_CTEST_ARGS='-R ^mpi:' scripts/ci-hardening.sh asan   some tests (extra ctest arguments)
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
# How long a stage took, for docs/hardening.md's CI budget (CI gives 90 minutes in all).
took() {  # stage start_seconds
    local s=$(( SECONDS - $2 ))
    echo "== hardening: $1 took $((s / 60)) min $((s % 60)) s"
}

# Every report a sanitizer wrote into $1 (log_path), printed; false when there is none.
print_findings() {  # logs_dir sanitizer_name
    compgen -G "$1/$2.*" >/dev/null || return 1
    cat "$1/$2".*
}

mpi_tests="^mpi: "

asan() {
    step "ASan+UBSan: build"
    cmake --preset asan-ubsan >/dev/null
    cmake --build --preset asan-ubsan -j"$jobs"
    step "ASan+UBSan: the whole test suite"
    # Every instrumented process (shootout_tests, each shootout a test starts, the test servers)
    # writes what it finds to $logs/{asan,ubsan}.<pid> as well as to its stderr, so a finding in a
    # process whose output a test swallows still fails the stage. A test that fails is run once
    # more (the sanitized build is 2 to 3 times slower, and a time bound may miss once on a
    # loaded machine); one that fails twice fails the stage, and so does any finding, even in a
    # run that was retried.
    local logs status=0
    logs=$(mktemp -d)
    ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$logs/asan" UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$logs/ubsan" \
        ctest --preset asan-ubsan --repeat until-pass:2 -E "$mpi_tests" ${ASAN_CTEST_ARGS:-} || status=$?
    # The MPI tests, without leak detection: Open MPI 4.1 (Debian 12) leaks small allocations from
    # its components, which it has unloaded by exit, so LeakSanitizer cannot name them to suppress
    # them. Memory errors and undefined behaviour are still findings. verify_asan_link_order=0:
    # the libfaketime test's rank has libfaketime preloaded ahead of ASan's runtime.
    ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0:verify_asan_link_order=0:log_path=$logs/asan" \
    UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$logs/ubsan" \
        ctest --preset asan-ubsan --repeat until-pass:2 -R "$mpi_tests" ${ASAN_CTEST_ARGS:-} || status=$?
    local found=0
    print_findings "$logs" asan && found=1
    print_findings "$logs" ubsan && found=1
    if [ "$found" -eq 1 ]; then
        echo "FAIL: AddressSanitizer or UndefinedBehaviorSanitizer found a problem (above)" >&2
        return 1
    fi
    rm -rf "$logs"
    [ "$status" -eq 0 ] || { echo "FAIL: tests failed twice under ASan+UBSan (above)" >&2; return 1; }
}

# The tests with threads: the engine's workers merging their counts, the WebSocket client, the
# observers' sampler threads, the launcher (in-process runs: engine, sampler, stop) and the
# interrupt handling. Catch2 test-name patterns.
tsan_tests="engine:*,engine websocket:*,load counts:*,schedule:*,plan clock:*,websocket protocol:*,ws-echo:*,observe:*,interrupts:*,launcher:*,selftest:*"

tsan() {
    step "TSan: build"
    cmake --preset tsan >/dev/null
    cmake --build --preset tsan -j"$jobs"
    step "TSan: the tests with threads"
    # What this stage judges is TSan's: a data race or a lock-order inversion, reported by any
    # process (shootout_tests, or a shootout binary a test starts) into $logs/tsan.<pid>, fails it;
    # so does a test binary that does not run to its end. Under TSan the engine runs several times
    # slower, so the tests' figures (rates, latencies, counts within a time) are not judged here:
    # their failures are listed, and the release and ASan stages judge them.
    local logs
    logs=$(mktemp -d)
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$logs/tsan" \
        build-tsan/bin/shootout_tests "$tsan_tests" >"$logs/tests.log" 2>&1 || true
    if print_findings "$logs" tsan; then
        echo "FAIL: ThreadSanitizer found a problem (above; the tests' output is in $logs/tests.log)" >&2
        return 1
    fi
    if ! grep -qE "^(All tests passed|test cases:)" "$logs/tests.log"; then
        tail -n 60 "$logs/tests.log"
        echo "FAIL: the TSan test binary did not run to its end (above; all of it in $logs/tests.log)" >&2
        return 1
    fi
    grep -E "^(All tests passed|test cases:|assertions:)" "$logs/tests.log"
    # Catch2 puts a test's name between two lines of dashes, before its failures. (A "FAILED:"
    # in a child's output, outside any failed test, names nothing and lists nothing.)
    local missed
    missed=$(awk '/^-+$/ && length($0) == 79 { if (!open) { getline name; open = 1 } else open = 0 } /FAILED:/ { print "    " name }' \
        "$logs/tests.log" | grep -v '^ *$' | sort -u || true)
    if [ -n "$missed" ]; then
        echo "TSan: no finding; tests whose figures did not hold at TSan's speed (judged in the other stages):"
        echo "$missed"
    fi
    rm -rf "$logs"
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
        asan | tsan | fuzz) started=$SECONDS; "$s"; took "$s" "$started" ;;
        *) echo "ci-hardening: unknown stage '$s' (stages: asan tsan fuzz)" >&2; exit 2 ;;
    esac
done
step "done: no finding"
