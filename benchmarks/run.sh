#!/usr/bin/env bash
# Herd's benchmark suite in one command (benchmarks/README.md says what each
# benchmark measures and leaves out):
#
#   benchmarks/run.sh [--quick] [--with-peers] [--out DIR]
#
# Builds Herd in release mode (set HERD_EXECUTABLE to use a built one), runs
# every benchmark with seed 0 and a stated number of repeats, and writes
# DIR/results.json, DIR/results.md and SVG plots (default DIR:
# benchmarks/results/<date>). --with-peers creates benchmarks/.venv-peers and
# installs Gymnasium, EnvPool, Stable-Baselines3 and PyTorch from PyPI
# (or uses $HERD_PEERS_PYTHON), so each comparison runs both sides in this
# run. --quick cuts throughput budgets to a quarter and learning to one seed.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=() peers=0 out="benchmarks/results/$(date +%Y%m%d-%H%M%S)" tiny=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=(--quick) ;;
        --tiny) tiny=(--tiny) ;;  # CI only: a minimal budget that checks the suite runs and every key appears
        --with-peers) peers=1 ;;
        --out) out="$2"; shift ;;
        *) echo "usage: $0 [--quick] [--with-peers] [--out DIR]" >&2; exit 2 ;;
    esac
    shift
done

herd="${HERD_EXECUTABLE:-}"
if [ -z "$herd" ]; then
    scripts/setup.sh >&2
    . scripts/swift_flags.sh
    swift build -c release --product herd "${herd_swift_flags[@]}" >&2
    herd=.build/release/herd
fi
peer_args=()
if [ "$peers" = 1 ]; then
    . benchmarks/python_env.sh
    python=$(peer_python HERD_PEERS_PYTHON benchmarks/.venv-peers "gymnasium, envpool, stable_baselines3, torch" \
        "gymnasium numpy envpool stable-baselines3 torch" 1)
    peer_args=(--peers "$python")
fi
python3 benchmarks/suite.py --herd "$herd" --out "$out" "${quick[@]}" "${tiny[@]}" "${peer_args[@]}"
echo "results: $out/results.md"
