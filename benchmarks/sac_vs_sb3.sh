#!/usr/bin/env bash
# Time to a target return with SAC: Herd (configs/<env>_sac.yaml) against
# Stable-Baselines3 SAC with rl-zoo's hyperparameters, in one run.
#
#   benchmarks/sac_vs_sb3.sh [--install] [--env pendulum|mountaincar] [--seeds N] [--set KEY=VALUE]...
#
# "Solved" for both: the first deterministic evaluation (every 1000 steps,
# 20 episodes on separate environments) with a mean return at or above the
# target (Pendulum −200, MountainCarContinuous 90). The clock starts when
# training starts and includes the evaluations; both sides use one CPU
# thread for tensors (Herd's default; torch.set_num_threads(1)). Each side
# runs seeds 0..N-1 (default 3); the ratio is SB3's median time over Herd's.
# SB3 comes from $HERD_SB3_PYTHON, else benchmarks/.venv-sb3, else python3;
# --install creates benchmarks/.venv-sb3 from PyPI. --set passes overrides to
# Herd's config.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/python_env.sh

install=0 seeds=3 env=pendulum overrides=()
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --seeds) seeds="$2"; shift ;;
        --env) env="$2"; shift ;;
        --set) overrides+=(--set "$2"); shift ;;
        *) echo "usage: $0 [--install] [--env pendulum|mountaincar] [--seeds N] [--set KEY=VALUE]..." >&2; exit 2 ;;
    esac
    shift
done
case "$env" in
    pendulum) config=configs/pendulum_sac.yaml gym=Pendulum-v1 target=-200 ;;
    mountaincar) config=configs/mountaincar_continuous_sac.yaml gym=MountainCarContinuous-v0 target=90 ;;
    *) echo "$0: --env is pendulum or mountaincar" >&2; exit 2 ;;
esac

python=$(peer_python HERD_SB3_PYTHON benchmarks/.venv-sb3 "stable_baselines3, gymnasium" "stable-baselines3 gymnasium" "$install")
herd="${HERD_EXECUTABLE:-}"
if [ -z "$herd" ]; then
    . scripts/swift_flags.sh
    swift build -c release --product herd "${herd_swift_flags[@]}" >&2
    herd=.build/release/herd
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

herd_times=() sb3_times=()
printf "%-6s %-24s %-24s\n" seed "herd steps / seconds" "sb3 steps / seconds"
for seed in $(seq 0 $((seeds - 1))); do
    "$herd" train "$config" --seed "$seed" --run-dir "$out/herd-$seed" --set evaluation.stop_at_target=true \
        --set evaluation.interval_steps=1000 --set evaluation.episodes=20 --set "evaluation.target_return=$target" \
        ${overrides[@]+"${overrides[@]}"} >/dev/null 2>&1
    h=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['solved_at_step'], s['solved_wall_seconds'])" "$out/herd-$seed/summary.json")
    s=$("$python" benchmarks/sb3_sac.py --env "$gym" --seed "$seed" --target "$target" \
        | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['steps'] if s['solved'] else None, s['wall_seconds'] if s['solved'] else None)")
    printf "%-6s %-24s %-24s\n" "$seed" "$h" "$s"
    herd_times+=("$(echo "$h" | cut -d' ' -f2)"); sb3_times+=("$(echo "$s" | cut -d' ' -f2)")
done
python3 benchmarks/solve_ratio.py "to the target" "${herd_times[*]}" "${sb3_times[*]}"
