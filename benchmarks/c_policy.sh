#!/usr/bin/env bash
# The C runtime of a trained policy (herd export --format c): its sizes
# (`size`: .text, which holds the const weights, .data and .bss, which holds
# the arena) and microseconds per action, float and int8, timed over 1,000
# observations drawn uniformly from [-0.5, 0.5] repeated 1,000 times, compiled with
# cc -std=c99 -O2. Without RUN, trains configs/cartpole_ppo.yaml (seed 0) and
# takes its best checkpoint.
#
#   benchmarks/c_policy.sh [--herd BIN] [RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
herd=""
if [ "${1:-}" = "--herd" ]; then herd="$2"; shift 2; fi
if [ -z "$herd" ]; then
    . scripts/swift_flags.sh
    swift build -c release --product herd "${herd_swift_flags[@]}" >&2
    herd=.build/release/herd
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
run="${1:-}"
checkpoint=latest
if [ -z "$run" ]; then
    run="$work/run"
    "$herd" train configs/cartpole_ppo.yaml --seed 0 --run-dir "$run" >/dev/null 2>&1
fi
[ -f "$run/checkpoints/best.safetensors" ] && checkpoint=best
cat > "$work/bench.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include POLICY_HEADER
int main(void) {
    static float observations[1000][HERD_POLICY_OBSERVATION_SIZE];
    float action[HERD_POLICY_ACTION_SIZE], sum = 0;
    int i, j, r;
    struct timespec a, b;
    srand(1);
    for (i = 0; i < 1000; i++) for (j = 0; j < HERD_POLICY_OBSERVATION_SIZE; j++) observations[i][j] = (float)rand() / RAND_MAX - 0.5f;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (r = 0; r < 1000; r++) for (i = 0; i < 1000; i++) { herd_policy_act(observations[i], action); sum += action[0]; }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.3f us/action (checksum %g)\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / 1e6, sum);
    return 0;
}
C
for form in float int8; do
    flag=""; [ $form = int8 ] && flag="--int8"
    "$herd" export "$run" --checkpoint $checkpoint --format c $flag --out "$work/$form.c"
    cc -std=c99 -Wall -Wextra -Werror -O2 -c "$work/$form.c" -o "$work/$form.o"
    cc -std=c99 -O2 -D_POSIX_C_SOURCE=199309L "-DPOLICY_HEADER=\"$form.h\"" -I"$work" "$work/bench.c" "$work/$form.o" -lm -o "$work/$form"
    echo "$form ($checkpoint checkpoint):"
    size "$work/$form.o"
    "$work/$form"
done
