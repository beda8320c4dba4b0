#!/usr/bin/env bash
# Time to solve CartPole-v1 with PPO: Herd (configs/cartpole_ppo.yaml) against
# Stable-Baselines3 PPO with rl-zoo's CartPole-v1 hyperparameters, in one run.
#
#   benchmarks/ppo_cartpole_vs_sb3.sh [--install] [--seeds N] [--set KEY=VALUE]...
#
# "Solved" for both: the first deterministic 100-episode evaluation (run every
# 10k environment steps) with mean return ≥ 475. The clock starts when
# training starts (after environments are created) and includes the
# evaluations. Each side runs seeds 0..N-1 (default 5); the ratio is SB3's
# median time over Herd's. SB3 comes from $HERD_SB3_PYTHON, else
# benchmarks/.venv-sb3, else python3; --install creates benchmarks/.venv-sb3
# from PyPI (stable-baselines3 with PyTorch; a large download). --set passes
# overrides to Herd's config, e.g. rl-zoo's own update on the Herd side:
#   --set ppo.epochs=20 --set ppo.minibatches=1 --set ppo.learning_rate=0.001
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/python_env.sh

install=0
seeds=5
overrides=()
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --seeds) seeds="$2"; shift ;;
        --set) overrides+=(--set "$2"); shift ;;
        *) echo "usage: $0 [--install] [--seeds N] [--set KEY=VALUE]..." >&2; exit 2 ;;
    esac
    shift
done

python=$(peer_python HERD_SB3_PYTHON benchmarks/.venv-sb3 "stable_baselines3, gymnasium" "stable-baselines3 gymnasium" "$install")
. scripts/swift_flags.sh
swift build -c release --product herd "${herd_swift_flags[@]}" >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

herd_times=(); sb3_times=()
printf "%-6s %-22s %-22s\n" seed "herd steps / seconds" "sb3 steps / seconds"
for seed in $(seq 0 $((seeds - 1))); do
    .build/release/herd train configs/cartpole_ppo.yaml --seed "$seed" --run-dir "$out/herd-$seed" \
        --set evaluation.stop_at_target=true ${overrides[@]+"${overrides[@]}"} >/dev/null 2>&1
    herd=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['solved_at_step'], s['solved_wall_seconds'])" "$out/herd-$seed/summary.json")
    sb3=$("$python" benchmarks/sb3_ppo_cartpole.py --seed "$seed" | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['steps'] if s['solved'] else None, s['wall_seconds'] if s['solved'] else None)")
    printf "%-6s %-22s %-22s\n" "$seed" "$herd" "$sb3"
    herd_times+=("$(echo "$herd" | cut -d' ' -f2)"); sb3_times+=("$(echo "$sb3" | cut -d' ' -f2)")
done
python3 benchmarks/solve_ratio.py "to solve" "${herd_times[*]}" "${sb3_times[*]}"
