#!/usr/bin/env bash
# R2D2 learning targets, per seed, with the shipped configs:
#   CartPole-v1            seeds 0-2: first step with an evaluation mean ≥ 475 (target: 3 of 3 seeds)
#   CartPoleNoVelocity-v1  seeds 0-2: first step with a mean ≥ 400 (target: mean evaluation return ≥ 400)
#   Catch-v0               seeds 0-2: first step with a mean ≥ 0.9 (no target in the issue; reported)
# Evaluations act ε-greedily with ε = 0.001 over 100 episodes. MemoryChain,
# with the LSTM and without memory, is benchmarks/r2d2_memory.sh.
#
#   benchmarks/r2d2_targets.sh [--out DIR]    (runs are kept in DIR, default a temporary one)
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/report_runs.sh "$@"
report configs/cartpole_r2d2.yaml 3
report configs/cartpole_novelocity_r2d2.yaml 3
report configs/catch_r2d2.yaml 3
