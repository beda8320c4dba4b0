#!/usr/bin/env bash
# Sets up the machine, builds Herd in release mode, and runs the main job:
# PPO on CartPole-v1 (configs/cartpole_ppo.yaml) in worker processes. It prints
# the run directory (config, metrics.jsonl, TensorBoard events, checkpoints,
# summary.json). Extra arguments go to `herd train`, e.g. --seed 1.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/swift_flags.sh
scripts/setup.sh
swift build -c release --product herd "${herd_swift_flags[@]}"
exec .build/release/herd train configs/cartpole_ppo.yaml "$@"
