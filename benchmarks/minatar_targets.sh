#!/usr/bin/env bash
# MinAtar learning results: each config for 3 seeds (--seeds N), its final
# and best evaluation (30 episodes, stochastic policy) and steps/s, learning
# curves as SVG (herd plot), and, with --peer, the PyTorch PPO peer
# (benchmarks/minatar_ppo_peer.py, CleanRL's ppo_atari.py style) on the same
# games and frames, in the same run.
#
#   benchmarks/minatar_targets.sh [--out DIR] [--seeds N] [--frames F] [--peer] [--install] [--herd BIN] [CONFIG...]
#
# --herd BIN runs a herd binary built beforehand (for example a copy, so that
# builds during a long run do not replace it) instead of building one.
#
# CONFIG defaults to every configs/minatar_*.yaml. --frames sets total_steps
# (default: the configs' 5M). Runs, curves and peer logs stay in --out
# (default benchmarks/results/minatar, not committed). The peer's Python comes
# from $HERD_TORCH_PYTHON, else benchmarks/.venv-torch, else python3;
# --install makes benchmarks/.venv-torch from PyPI (torch, minatar).
set -euo pipefail
cd "$(dirname "$0")/.."

out=benchmarks/results/minatar
seeds=3
frames=""
peer=0
install=0
herd=""
configs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift ;;
        --seeds) seeds="$2"; shift ;;
        --frames) frames="$2"; shift ;;
        --peer) peer=1 ;;
        --install) install=1 ;;
        --herd) herd="$2"; shift ;;
        -*) echo "usage: $0 [--out DIR] [--seeds N] [--frames F] [--peer] [--install] [--herd BIN] [CONFIG...]" >&2; exit 2 ;;
        *) configs+=("$1") ;;
    esac
    shift
done
[ ${#configs[@]} -eq 0 ] && configs=(configs/minatar_*.yaml)
mkdir -p "$out"

if [ -z "$herd" ]; then
    . scripts/swift_flags.sh
    swift build -c release --product herd "${herd_swift_flags[@]}" >&2
    herd=.build/release/herd
fi
herd=$(cd "$(dirname "$herd")" && pwd)/$(basename "$herd")
if [ "$peer" = 1 ]; then
    . benchmarks/python_env.sh
    python=$(peer_python HERD_TORCH_PYTHON benchmarks/.venv-torch "torch, minatar" "torch numpy gymnasium minatar==1.0.15" "$install")
fi

overrides=()
[ -n "$frames" ] && overrides=(--set "total_steps=$frames")
for config in "${configs[@]}"; do
    name=$(basename "$config" .yaml)
    runs=()
    for seed in $(seq 0 $((seeds - 1))); do
        run="$out/$name-s$seed"
        rm -rf "$run"
        "$herd" train "$config" --seed "$seed" --run-dir "$run" "${overrides[@]}" > "$run.log" 2>&1
        runs+=("$run")
        python3 - "$run/summary.json" "$name" "$seed" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:<30} seed {sys.argv[3]}  {s['steps']:>8} frames  final eval {s['evaluation_return_last']:7.2f}  "
      f"best {s['evaluation_return_best']:7.2f}  {s['steps_per_second']:7.0f} steps/s  {s['wall_seconds']:6.0f} s")
PY
    done
    "$herd" plot "${runs[@]}" --out "$out/$name.svg" --metric eval_return_mean --title "$name" >/dev/null 2>&1 || true
    if [ "$peer" = 1 ] && [[ "$name" == *_ppo ]]; then
        env=$(awk '/^  name:/ {print $2; exit}' "$config")
        total=${frames:-$(awk '/^total_steps:/ {print $2; exit}' "$config")}
        for seed in $(seq 0 $((seeds - 1))); do
            "$python" benchmarks/minatar_ppo_peer.py --env "$env" --frames "$total" --seed "$seed" \
                --out "$out/$name-peer-s$seed.jsonl" > "$out/$name-peer-s$seed.json"
            python3 - "$out/$name-peer-s$seed.json" "$name" "$seed" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{sys.argv[2] + ' (torch peer)':<30} seed {sys.argv[3]}  {s['frames']:>8} frames  final eval {s['evaluation_return']:7.2f}  "
      f"{'':13}  {s['frames_per_second']:7.0f} steps/s  {s['seconds']:6.0f} s")
PY
        done
    fi
done
