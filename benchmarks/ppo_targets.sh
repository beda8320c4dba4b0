#!/usr/bin/env bash
# PPO learning targets, per seed, with the shipped configs:
#   CartPole-v1  seeds 0-4: first step with a deterministic 100-episode mean ≥ 475 (target: ≤ 100k)
#   Pendulum-v1  seeds 0-2: evaluation mean at 500k steps (target: ≥ −200)
#   Acrobot-v1   seeds 0-2: evaluation mean at 200k steps (target: ≥ −100)
# plus each run's training throughput (steps/s including inference and updates).
#
#   benchmarks/ppo_targets.sh [--out DIR]    (runs are kept in DIR, default a temporary one)
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/report_runs.sh "$@"
report configs/cartpole_ppo.yaml 5
report configs/pendulum_ppo.yaml 3
report configs/acrobot_ppo.yaml 3
