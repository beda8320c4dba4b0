#!/usr/bin/env bash
# SEED RL's argument in one plot: central inference with the Nature torso on
# Atari Pong (the standard preprocessing) at inference batch sizes 1 … 32,
# on the host (`cpu`) and on each simulated device profile in
# configs/devices/. A batch is made of whole workers' results, so the batch
# size is set by the environments per worker: 2 workers × B environments,
# at most B per batch (more actors, bigger batches: SEED's setting). For each point: environment steps/s,
# the latency from a batch's arrival to its actions (p50), the simulated
# device's modelled time per environment step and its utilisation (useful
# over busy time of its matrix unit). Batching across actors is what fills
# an accelerator: utilisation and device time per step improve with the
# batch, on the host much less.
#
#   benchmarks/inference_batching.sh [--steps S] [--batches "1 2 4 8 16 32"] [--devices "cpu gpu-a100 tpu-v1"] [--out DIR]
#
# Writes DIR/inference_batching.jsonl (one `herd bench inference --json`
# object per point) and DIR/inference_batching.{svg,png} (matplotlib, from
# $HERD_PLOT_PYTHON or python3). DIR defaults to benchmarks/results/inference
# (not committed). A point that fails — tpu-v1's 28 MiB do not hold the
# Nature torso's activations from batch 16 on — is reported and skipped.
# The workers run python3 from PATH, which must import
# gymnasium, ale_py and cv2 (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

steps=4000
batches="1 2 4 8 16 32"
devices="cpu $(ls configs/devices/*.yaml | xargs -n1 basename | sed 's/\.yaml$//' | tr '\n' ' ')"
out=benchmarks/results/inference
herd=""
while [ $# -gt 0 ]; do
    case "$1" in
        --steps) steps="$2"; shift ;;
        --batches) batches="$2"; shift ;;
        --devices) devices="$2"; shift ;;
        --out) out="$2"; shift ;;
        --herd) herd="$2"; shift ;;
        *) echo "usage: $0 [--steps S] [--batches LIST] [--devices LIST] [--out DIR] [--herd BIN]" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$herd" ]; then
    . scripts/swift_flags.sh
    swift build -c release --product herd "${herd_swift_flags[@]}" >&2
    herd=.build/release/herd
fi
mkdir -p "$out"
results="$out/inference_batching.jsonl"
: > "$results"
for device in $devices; do
    for batch in $batches; do
        "$herd" bench inference --env gymnasium:ale_py:ALE/Pong-v5 --workers 2 --envs-per-worker "$batch" --steps "$steps" \
            --torso nature --device "$device" --max-batch "$batch" --timeout-ms 20 --no-pool-comparison \
            --set frameskip=1 --set repeat_action_probability=0.0 \
            --wrapper AtariPreprocessing:noop_max=30,frame_skip=4,screen_size=84,terminal_on_life_loss=false,grayscale_obs=true \
            --wrapper FrameStackObservation:stack_size=4 --json > "$out/point.json" 2> "$out/point.err" \
            && tee -a "$results" < "$out/point.json" \
            || echo "skipped $device at batch $batch: $(grep -v 'A.L.E\|Stella' "$out/point.err" | tail -1)" >&2
    done
done
"${HERD_PLOT_PYTHON:-python3}" benchmarks/inference_batching_plot.py "$results" "$out/inference_batching"
