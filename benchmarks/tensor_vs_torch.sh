#!/usr/bin/env bash
# Times Herd's training steps (herd bench tensor: the MLP step, the Nature
# DQN torso on 32 frame stacks 4x84x84, MinAtar's torso on 256 boards
# 4x10x10) and the same steps in PyTorch, alternately --repeats times (3) in
# one run, and prints the medians and the ratios as one JSON object. The
# convolution steps compare Herd with as many OpenBLAS threads as PyTorch has
# threads (--torch-threads, 2); the MLP step keeps Herd's default of one.
#
#   benchmarks/tensor_vs_torch.sh [--install] [--torch-threads N] [--repeats R]
#
# PyTorch is taken from $HERD_TORCH_PYTHON, else from benchmarks/.venv-torch,
# else from python3. With --install, a missing PyTorch is installed into
# benchmarks/.venv-torch from PyPI (a large download).
set -euo pipefail
cd "$(dirname "$0")/.."

install=0
torch_threads=2
repeats=3
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --torch-threads) torch_threads="$2"; shift ;;
        --repeats) repeats="$2"; shift ;;
        *) echo "usage: $0 [--install] [--torch-threads N] [--repeats R]" >&2; exit 2 ;;
    esac
    shift
done

. benchmarks/python_env.sh
python=$(peer_python HERD_TORCH_PYTHON benchmarks/.venv-torch "torch" "torch numpy" "$install")

scripts/setup.sh
. scripts/swift_flags.sh
swift build -c release --product herd "${herd_swift_flags[@]}" >&2
results=$(mktemp)
for _ in $(seq "$repeats"); do
    echo "herd $(.build/release/herd bench tensor --json)" >> "$results"
    echo "herd_threads $(.build/release/herd bench tensor --json --blas-threads "$torch_threads")" >> "$results"
    echo "torch $("$python" benchmarks/torch_mlp_step.py "$torch_threads")" >> "$results"
    echo "torch $("$python" benchmarks/torch_conv_step.py "$torch_threads")" >> "$results"
done
python3 - "$results" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    who, payload = line.split(" ", 1)
    for key, value in json.loads(payload).items():
        if isinstance(value, (int, float)):
            runs.setdefault(who, {}).setdefault(key, []).append(value)
med = {who: {k: statistics.median(v) for k, v in keys.items()} for who, keys in runs.items()}
herd, threaded, torch = med["herd"], med["herd_threads"], med["torch"]
print(json.dumps({
    "repeats": len(runs["herd"]["mlp_step_us"]),
    "torch_threads": int(torch["threads"]),
    "herd_mlp_step_us": round(herd["mlp_step_us"], 1),
    "torch_mlp_step_us": round(torch["torch_mlp_step_us"], 1),
    "mlp_speedup": round(torch["torch_mlp_step_us"] / herd["mlp_step_us"], 2),
    "herd_conv_nature_step_us": round(threaded["conv_nature_step_us"]),
    "torch_conv_nature_step_us": round(torch["torch_conv_nature_step_us"]),
    "conv_nature_speedup": round(torch["torch_conv_nature_step_us"] / threaded["conv_nature_step_us"], 2),
    "herd_conv_minatar_step_us": round(threaded["conv_minatar_step_us"]),
    "torch_conv_minatar_step_us": round(torch["torch_conv_minatar_step_us"]),
    "conv_minatar_speedup": round(torch["torch_conv_minatar_step_us"] / threaded["conv_minatar_step_us"], 2),
    "herd_conv_nature_step_us_one_thread": round(herd["conv_nature_step_us"]),
    "herd_conv_minatar_step_us_one_thread": round(herd["conv_minatar_step_us"]),
    "matmul_ratio": round(herd["matmul_ratio"], 3),
    "op_overhead_ns": round(herd["op_overhead_ns"], 1),
}, indent=1))
PY
