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
# (or uses $HERD_PEERS_PYTHON), and Sample Factory into benchmarks/.venv-sf
# ($HERD_SF_PYTHON), so each comparison runs both sides in this run.
# Learning runs 5 seeds (fewer with --quick), aggregated by
# benchmarks/report.py with rliable (installed for python3 when missing).
# Where valgrind is installed, the CPU-bound single-thread figures are also
# counted in instructions per unit (benchmarks/instructions.py, with a copy
# of herd built for x86-64-v3 in .build-callgrind, or $HERD_CALLGRIND_EXECUTABLE);
# --no-instructions leaves them out.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=() peers=0 out="benchmarks/results/$(date +%Y%m%d-%H%M%S)" tiny=() instructions=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=(--quick) ;;
        --tiny) tiny=(--tiny) ;;  # CI only: a minimal budget that checks the suite runs and every key appears
        --with-peers) peers=1 ;;
        --no-instructions) instructions=0 ;;
        --out) out="$2"; shift ;;
        *) echo "usage: $0 [--quick] [--with-peers] [--no-instructions] [--out DIR]" >&2; exit 2 ;;
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
. benchmarks/python_env.sh
if ! python3 -c "import rliable.library, matplotlib" 2>/dev/null; then
    echo "run.sh: installing $report_packages for python3 (the aggregation over seeds and the plots)" >&2
    # shellcheck disable=SC2086
    python3 -m pip install --quiet --disable-pip-version-check $report_packages >&2 \
        || echo "run.sh: pip install failed: results.json will have no aggregates and no plots" >&2
fi
peer_args=()
if [ "$peers" = 1 ]; then
    python=$(peer_python HERD_PEERS_PYTHON benchmarks/.venv-peers "gymnasium, envpool, stable_baselines3, torch" \
        "gymnasium numpy envpool stable-baselines3 torch" 1)
    peer_args=(--peers "$python")
    # Sample Factory pins Gymnasium 0.29 and NumPy 1.26: its own environment.
    if sf=$(peer_python HERD_SF_PYTHON benchmarks/.venv-sf "sample_factory" "sample-factory==2.1.1 torch" 1); then
        peer_args+=(--sample-factory "$sf")
    else
        echo "run.sh: Sample Factory could not be installed: V-trace runs without its asynchronous peer" >&2
    fi
fi
instruction_args=()
# --tiny (CI's check of the suite) counts only with a binary given: building one takes minutes.
[ ${#tiny[@]} -gt 0 ] && [ -z "${HERD_CALLGRIND_EXECUTABLE:-}" ] && instructions=0
if [ "$instructions" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    counted="${HERD_CALLGRIND_EXECUTABLE:-}"
    if [ -z "$counted" ]; then
        python3 -c 'import sys; sys.path.insert(0, "benchmarks"); import instructions; print(instructions.build_binary())' >&2
        counted=.build-callgrind/herd-callgrind
    fi
    instruction_args=(--instructions "$counted")
elif [ "$instructions" = 1 ]; then
    echo "run.sh: valgrind is not installed: no instruction counts (apt-get install -y valgrind)" >&2
fi
python3 benchmarks/suite.py --herd "$herd" --out "$out" "${quick[@]}" "${tiny[@]}" "${peer_args[@]}" "${instruction_args[@]}"
echo "results: $out/results.md"
