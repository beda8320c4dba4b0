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
out=""
if [ "${1:-}" = "--out" ]; then out="$2"; fi
if [ -z "$out" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
swift build -c release --product herd >&2

report() {  # config seeds
    local config=$1 seeds=$2 name
    name=$(basename "$config" .yaml)
    for seed in $(seq 0 $((seeds - 1))); do
        .build/release/herd train "$config" --seed "$seed" --run-dir "$out/$name-$seed" >/dev/null 2>&1
        python3 - "$out/$name-$seed/summary.json" "$name" "$seed" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
solved = s["solved_at_step"]
print(f"{sys.argv[2]:<28} seed {sys.argv[3]}  final eval {s['evaluation_return_last']:8.1f}  "
      f"best {s['evaluation_return_best']:8.1f}  first ≥ {s['target_return']:g} at {solved if solved is not None else 'never':>7}  "
      f"{s['steps_per_second']:8.0f} steps/s")
PY
    done
}
report configs/cartpole_ppo.yaml 5
report configs/pendulum_ppo.yaml 3
report configs/acrobot_ppo.yaml 3
