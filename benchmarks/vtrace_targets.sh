#!/usr/bin/env bash
# V-trace (IMPALA on central inference) learning targets, per seed, with the shipped configs:
#   CartPole-v1  seeds 0-2: first step with a deterministic 100-episode mean ≥ 475 (target: within 1M)
#   Catch-v0     seeds 0-2: first step with a 100-episode mean ≥ 0.9 (target: within 300k)
#   Acrobot-v1   seeds 0-2: first step with a mean ≥ −100 (no target in the issue; reported)
# plus each run's training throughput (steps/s including inference and learning).
# Asynchronous: inference and learning interleave by timing, so a seed does
# not fix the result the way it does for PPO.
#
#   benchmarks/vtrace_targets.sh [--out DIR]    (runs are kept in DIR, default a temporary one)
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/report_runs.sh "$@"
report configs/cartpole_vtrace.yaml 3
report configs/catch_vtrace.yaml 3
report configs/acrobot_vtrace.yaml 3
