#!/usr/bin/env bash
# Times Herd's MLP training step (herd bench tensor) and the same step in
# PyTorch in one run, and prints both and the ratio as one JSON object.
#
#   benchmarks/tensor_vs_torch.sh [--install] [--torch-threads N]
#
# PyTorch is taken from $HERD_TORCH_PYTHON, else from benchmarks/.venv-torch,
# else from python3. With --install, a missing PyTorch is installed into
# benchmarks/.venv-torch from PyPI (a large download).
set -euo pipefail
cd "$(dirname "$0")/.."

install=0
torch_threads=2
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --torch-threads) torch_threads="$2"; shift ;;
        *) echo "usage: $0 [--install] [--torch-threads N]" >&2; exit 2 ;;
    esac
    shift
done

. benchmarks/python_env.sh
python=$(peer_python HERD_TORCH_PYTHON benchmarks/.venv-torch "torch" "torch numpy" "$install")

scripts/setup.sh
. scripts/swift_flags.sh
swift build -c release --product herd "${herd_swift_flags[@]}" >&2
herd_json=$(.build/release/herd bench tensor --json)
torch_json=$("$python" benchmarks/torch_mlp_step.py "$torch_threads")
python3 - "$herd_json" "$torch_json" <<'PY'
import json, sys
herd, torch = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({
    "herd_mlp_step_us": round(herd["mlp_step_us"], 1),
    "herd_blas_threads": herd["blas_threads"],
    "torch_mlp_step_us": round(torch["torch_mlp_step_us"], 1),
    "torch_threads": torch["threads"],
    "torch_version": torch["torch_version"],
    "speedup": round(torch["torch_mlp_step_us"] / herd["mlp_step_us"], 2),
    "matmul_ratio": round(herd["matmul_ratio"], 3),
    "op_overhead_ns": round(herd["op_overhead_ns"], 1),
}))
PY
