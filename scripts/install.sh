#!/usr/bin/env bash
# Installs Herd under a prefix: the `herd` executable in PREFIX/bin, and what
# it finds beside itself in PREFIX/share/herd — the Gymnasium worker
# (envs/), the shipped configs and the simulated-device profiles
# (configs/, configs/devices/). An installed `herd` runs from any directory:
# `herd train cartpole_ppo` names a shipped config.
#
#   scripts/install.sh [--prefix DIR] [--binary PATH]
#
# --prefix   where to install (default ~/.local; /usr/local needs root).
# --binary   install this already-built herd instead of building one
#            (`swift build -c release` with scripts/swift_flags.sh).
# Re-running replaces an earlier install; `rm -r PREFIX/share/herd
# PREFIX/bin/herd` removes it. The Python packages the Gymnasium bridge
# imports are the interpreter's own (`environment.python`).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${HOME:-/root}/.local" binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument $1 (--prefix DIR, --binary PATH)" >&2; exit 2 ;;
    esac
done
if [ -z "$binary" ]; then
    . scripts/swift_flags.sh
    scripts/setup.sh
    swift build -c release --product herd "${herd_swift_flags[@]}"
    binary=.build/release/herd
fi
[ -x "$binary" ] || { echo "install.sh: $binary is not an executable" >&2; exit 1; }

share="$prefix/share/herd"
mkdir -p "$prefix/bin" "$share"
# Replace, never merge: files from an older install do not linger.
rm -rf "$share/envs.new" "$share/configs.new"
mkdir -p "$share/envs.new"
cp envs/gymnasium_worker.py envs/PROTOCOL.md envs/requirements.txt "$share/envs.new/"
cp -R configs "$share/configs.new"
rm -rf "$share/envs" "$share/configs"
mv "$share/envs.new" "$share/envs"
mv "$share/configs.new" "$share/configs"
cp "$binary" "$prefix/bin/herd.new" && mv "$prefix/bin/herd.new" "$prefix/bin/herd"
echo "installed $("$prefix/bin/herd" --version) in $prefix"
case ":${PATH:-}:" in
    *":$prefix/bin:"*) ;;
    *) echo "add $prefix/bin to PATH to run it as herd" ;;
esac
