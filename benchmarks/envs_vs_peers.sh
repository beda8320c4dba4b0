#!/usr/bin/env bash
# Process-pool stepping speed of Herd against Gymnasium's AsyncVectorEnv and
# EnvPool on the same workload (CartPole-v1, random actions chosen by the
# caller every step), all in one run, with the ratios.
#
#   benchmarks/envs_vs_peers.sh [--install] [--steps N] [--repeats R]
#
# Herd: 2 workers × 64 environments, synchronous, and asynchronous with batch
# 64. Gymnasium: AsyncVectorEnv with 16 environments. EnvPool: synchronous,
# 128 environments, with its default thread count and with one thread per
# core; the faster is compared. Each figure is the median of --repeats runs.
# Peers come from $HERD_PEERS_PYTHON, else benchmarks/.venv-peers, else
# python3; --install creates benchmarks/.venv-peers from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

install=0
steps=2000000
repeats=3
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --steps) steps="$2"; shift ;;
        --repeats) repeats="$2"; shift ;;
        *) echo "usage: $0 [--install] [--steps N] [--repeats R]" >&2; exit 2 ;;
    esac
    shift
done

. benchmarks/python_env.sh
python=$(peer_python HERD_PEERS_PYTHON benchmarks/.venv-peers "gymnasium, envpool" "gymnasium numpy envpool" "$install")

scripts/setup.sh
. scripts/swift_flags.sh
swift build -c release --product herd "${herd_swift_flags[@]}" >&2
herd=.build/release/herd
cores=$(nproc)
results=$(mktemp)
for _ in $(seq "$repeats"); do
    $herd bench envs --env CartPole-v1 --workers 2 --envs-per-worker 64 --steps "$steps" --json | sed 's/^/herd_sync /' >> "$results"
    $herd bench envs --env CartPole-v1 --workers 2 --envs-per-worker 64 --async --batch-size 64 --steps "$steps" --json | sed 's/^/herd_async /' >> "$results"
    "$python" benchmarks/peer_envs.py gymnasium-async --envs 16 --steps $((steps / 20)) 2>/dev/null | sed 's/^/gymnasium_async /' >> "$results"
    "$python" benchmarks/peer_envs.py envpool --envs 128 --steps "$steps" 2>/dev/null | sed 's/^/envpool_default /' >> "$results"
    "$python" benchmarks/peer_envs.py envpool --envs 128 --steps "$steps" --threads "$cores" 2>/dev/null | sed 's/^/envpool_cores /' >> "$results"
done
python3 - "$results" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, payload = line.split(" ", 1)
    runs.setdefault(name, []).append(json.loads(payload))
median = {name: statistics.median(r["steps_per_second"] for r in rs) for name, rs in runs.items()}
envpool = max(median["envpool_default"], median["envpool_cores"])
print(json.dumps({
    "steps_per_second": {k: round(v) for k, v in median.items()},
    "runs": {k: [round(r["steps_per_second"]) for r in rs] for k, rs in runs.items()},
    "herd_sync_vs_gymnasium_async16": round(median["herd_sync"] / median["gymnasium_async"], 1),
    "herd_sync_vs_envpool128": round(median["herd_sync"] / envpool, 2),
    "herd_async_vs_sync": round(median["herd_async"] / median["herd_sync"], 2),
    "latency_p50_us": round(statistics.median(r["latency_p50_us"] for r in runs["herd_sync"]), 1),
    "latency_p99_us": round(statistics.median(r["latency_p99_us"] for r in runs["herd_sync"]), 1),
    "versions": {"gymnasium": runs["gymnasium_async"][0]["version"], "envpool": runs["envpool_default"][0]["version"]},
}, indent=1))
PY
rm -f "$results"
