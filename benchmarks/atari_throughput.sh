#!/usr/bin/env bash
# Atari through the bridge: environment steps per second of Herd's pool
# (gymnasium: workers with the standard preprocessing, u8 frames on the
# wire) against Gymnasium's AsyncVectorEnv with the same wrappers, and
# EnvPool's Atari where it is installed, at the same number of environments,
# in the same run. Frames per second are 4 per step (frame skip 4).
#
#   benchmarks/atari_throughput.sh [--install] [--env ALE/Pong-v5] [--envs N] [--steps S]
#
# Herd: 2 workers × N/2 environments, synchronous; its workers run python3
# from PATH, which must import gymnasium, ale_py and cv2. Peers come from
# $HERD_PEERS_PYTHON, else benchmarks/.venv-peers, else python3; --install
# creates benchmarks/.venv-peers (gymnasium, ale-py, opencv; envpool is tried
# and skipped if it does not install).
set -euo pipefail
cd "$(dirname "$0")/.."

install=0
env=ALE/Pong-v5
envs=32
steps=20000
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --env) env="$2"; shift ;;
        --envs) envs="$2"; shift ;;
        --steps) steps="$2"; shift ;;
        *) echo "usage: $0 [--install] [--env ID] [--envs N] [--steps S]" >&2; exit 2 ;;
    esac
    shift
done

. benchmarks/python_env.sh
python=$(peer_python HERD_PEERS_PYTHON benchmarks/.venv-peers "gymnasium, ale_py, cv2" "gymnasium numpy ale-py opencv-python-headless" "$install")
[ "$install" = 1 ] && { "$python" -m pip install --quiet envpool >/dev/null 2>&1 || true; }

scripts/setup.sh
. scripts/swift_flags.sh
swift build -c release --product herd "${herd_swift_flags[@]}" >&2
results=$(mktemp)
.build/release/herd bench envs --env "gymnasium:ale_py:$env" --workers 2 --envs-per-worker $((envs / 2)) \
    --steps "$steps" --set frameskip=1 --set repeat_action_probability=0.0 \
    --wrapper AtariPreprocessing:noop_max=30,frame_skip=4,screen_size=84,terminal_on_life_loss=true,grayscale_obs=true \
    --wrapper FrameStackObservation:stack_size=4 --json | sed 's/^/herd /' >> "$results"
"$python" benchmarks/peer_envs.py gymnasium-async --atari --env "$env" --envs "$envs" --steps "$steps" 2>/dev/null \
    | sed 's/^/gymnasium_async /' >> "$results"
if "$python" -c "import envpool" 2>/dev/null; then
    "$python" benchmarks/peer_envs.py envpool --atari --env "$env" --envs "$envs" --steps "$steps" 2>/dev/null \
        | sed 's/^/envpool /' >> "$results"
fi
python3 - "$results" "$env" "$envs" <<'PY'
import json, sys
runs = {}
for line in open(sys.argv[1]):
    name, payload = line.split(" ", 1)
    runs[name] = json.loads(payload)
out = {"env": sys.argv[2], "envs": int(sys.argv[3])}
for name, r in runs.items():
    out[f"{name}_steps_per_second"] = round(r["steps_per_second"])
    out[f"{name}_frames_per_second"] = round(4 * r["steps_per_second"])
out["herd_observation_bytes_per_step"] = runs["herd"].get("observation_bytes_per_step")
out["herd_vs_gymnasium_async"] = round(runs["herd"]["steps_per_second"] / runs["gymnasium_async"]["steps_per_second"], 2)
if "envpool" in runs:
    out["herd_vs_envpool"] = round(runs["herd"]["steps_per_second"] / runs["envpool"]["steps_per_second"], 2)
else:
    out["envpool"] = "not installed"
print(json.dumps(out, indent=1))
PY
