#!/usr/bin/env bash
# Soak: V-trace with two CURVE fleet daemons for N minutes while a random
# worker is killed every 30 s and a daemon restarted every 5 minutes
# (benchmarks/soak.py says what is measured and what fails it).
#
#   benchmarks/soak.sh [--minutes N] [--out DIR] [other soak.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/swift_flags.sh
swift build -c release --product herd "${herd_swift_flags[@]}" >&2
exec python3 benchmarks/soak.py "$@"
