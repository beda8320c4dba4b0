#!/usr/bin/env bash
# Fuzzes the wire codec and the config loader with libFuzzer.
#
#   scripts/fuzz.sh [--codec-runs N] [--config-runs N] [--seconds S]
#
# Builds `herd-fuzz` twice: with -sanitize=fuzzer -DFUZZING (libFuzzer drives
# it; .build-fuzz/) and as in scripts/test.sh (it writes the codec's seed
# frames and replays inputs). The codec target starts from one valid frame of every
# kind, the config target from configs/*.yaml. Defaults: 1,000,000 codec
# inputs and 100,000 config inputs. --seconds bounds each target's time
# instead (CI). A crash, trap or wrong error type is saved under
# Tests/Fuzz/regressions/<target>/, where FuzzRegressionTests replays it in
# every test run from then on: commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
codec_runs=1000000 config_runs=100000 seconds=""
while [ $# -gt 0 ]; do
    case "$1" in
        --codec-runs) codec_runs="$2"; shift 2 ;;
        --config-runs) config_runs="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        *) echo "usage: scripts/fuzz.sh [--codec-runs N] [--config-runs N] [--seconds S]" >&2; exit 2 ;;
    esac
done
scripts/setup.sh
# -enable-testing: the same flags as scripts/test.sh, so the two share one build.
. scripts/swift_flags.sh
swift build -c release --product herd-fuzz -Xswiftc -enable-testing "${herd_swift_flags[@]}"
swift build -c release --product herd-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING "${herd_swift_flags[@]}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.build/release/herd-fuzz seeds "$work/codec-seeds"
status=0
run() {  # target runs max_len seed-dir
    local target=$1 runs=$2 max_len=$3 seeds=$4 limit
    mkdir -p "$work/$target" "Tests/Fuzz/regressions/$target"
    limit=(-runs="$runs")
    [ -n "$seconds" ] && limit=(-max_total_time="$seconds")
    echo "fuzz $target: ${limit[*]}" >&2
    # Swift's own crash handler would take the signal before libFuzzer saves the input.
    if SWIFT_BACKTRACE=enable=no HERD_FUZZ_TARGET=$target .build-fuzz/release/herd-fuzz "${limit[@]}" -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix="Tests/Fuzz/regressions/$target/" "$work/$target" "$seeds" > "$work/$target.log" 2>&1; then
        done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$')
        echo "fuzz $target: ${done_runs:-?} inputs, no finding"
    else
        tail -n 30 "$work/$target.log" >&2
        echo "fuzz $target: FINDING saved under Tests/Fuzz/regressions/$target/ (see above)"
        status=1
    fi
}
run codec "$codec_runs" 4096 "$work/codec-seeds"
run config "$config_runs" 8192 configs
exit $status
