#!/usr/bin/env bash
# Sets up the machine and runs the whole test suite. Numeric tests are slow in
# debug builds, so the suite is built in release mode with testing enabled
# (docs/architecture.md, "Performance notes"). Extra arguments go to `swift test`
# (e.g. --filter GradientTests).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/swift_flags.sh
scripts/setup.sh --python
swift build -c release --build-tests -Xswiftc -enable-testing "${herd_swift_flags[@]}"
swift test -c release --skip-build -Xswiftc -enable-testing "${herd_swift_flags[@]}" "$@"
