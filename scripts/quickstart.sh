#!/usr/bin/env bash
# Sets up the machine, builds Herd in release mode, and runs the main job.
# Until training lands (issue: BatchPPO and `herd train`), the main job is the
# tensor benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product herd
exec .build/release/herd bench tensor "$@"
