#!/usr/bin/env bash
# MemoryChain-v0 (10 blank steps between cue and query), R2D2 on 3 seeds,
# side by side:
#   lstm         configs/memorychain_r2d2.yaml as shipped;
#   mlp          the LSTM replaced by a feed-forward layer of the same width
#                (the previous action and reward still go in: the agent can
#                carry the cue in its own ignored actions and read it back);
#   mlp-no-prev  the feed-forward layer without those inputs: no memory at all.
# Target: lstm ≥ 0.8 mean evaluation return (90% success) on 3 of 3 seeds,
# while the memoryless agent stays near chance (mean return ≈ 0).
#
#   benchmarks/r2d2_memory.sh [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/report_runs.sh "$@"
report configs/memorychain_r2d2.yaml 3 lstm
report configs/memorychain_r2d2.yaml 3 mlp --set r2d2.feed_forward=true
report configs/memorychain_r2d2.yaml 3 mlp-no-prev --set r2d2.feed_forward=true --set r2d2.previous_inputs=false
