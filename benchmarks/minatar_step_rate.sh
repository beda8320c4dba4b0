#!/usr/bin/env bash
# In-process MinAtar stepping, one thread: Herd's built-in games against the
# `minatar` package (1.0.15) on the same workload (random actions, reset at
# the end of an episode), in the same run, with the ratio per game.
#
#   benchmarks/minatar_step_rate.sh [--install] [--steps N]
#
# The package comes from $HERD_PEERS_PYTHON, else benchmarks/.venv-minatar,
# else python3; --install creates benchmarks/.venv-minatar from PyPI. The
# package is timed on a twentieth of the steps (it is that much slower).
set -euo pipefail
cd "$(dirname "$0")/.."

install=0
steps=5000000
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --steps) steps="$2"; shift ;;
        *) echo "usage: $0 [--install] [--steps N]" >&2; exit 2 ;;
    esac
    shift
done

. benchmarks/python_env.sh
python=$(peer_python HERD_PEERS_PYTHON benchmarks/.venv-minatar "minatar, numpy" "minatar==1.0.15 numpy gymnasium" "$install")

scripts/setup.sh
. scripts/swift_flags.sh
swift build -c release --product herd "${herd_swift_flags[@]}" >&2
results=$(mktemp)
for game in Asterix Breakout Freeway Seaquest SpaceInvaders; do
    .build/release/herd bench envs --in-process --env "MinAtar/$game-v1" --steps "$steps" --json | sed 's/^/herd /' >> "$results"
    "$python" benchmarks/minatar_step_rate.py "MinAtar/$game-v1" --steps $((steps / 20)) | sed 's/^/minatar /' >> "$results"
done
python3 - "$results" <<'PY'
import json, sys
rates = {}
for line in open(sys.argv[1]):
    who, payload = line.split(" ", 1)
    r = json.loads(payload)
    rates.setdefault(r["env"], {})[who] = r["steps_per_second"]
print(json.dumps({env: {"herd_steps_per_second": round(r["herd"]), "minatar_steps_per_second": round(r["minatar"]),
                        "ratio": round(r["herd"] / r["minatar"], 1)} for env, r in rates.items()}, indent=1))
PY
