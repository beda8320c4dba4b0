#!/usr/bin/env bash
# int8 against float, per shipped PPO and V-trace MLP config (seed 0, the
# config's full training; the best checkpoint when the run evaluates, else
# the latest): the deterministic policy's mean return over 100
# evaluation episodes in float (`herd eval --deterministic`) and in int8
# (`herd eval --int8`: weights per output unit, inputs per tensor from 10,000
# on-policy observations), their ratio (int8 / float for positive returns,
# float / int8 for negative ones, so that 1 means equal and more is better),
# the share of 10,000 other on-policy observations on which int8 acts as
# float does (the same class; continuous actions within 1% of the action
# range), and the C
# runtime's parameter bytes in each form (herd export --format c).
#
#   benchmarks/int8_policies.sh [--out DIR] [--herd BIN] [CONFIG...]
set -euo pipefail
cd "$(dirname "$0")/.."
out="" herd=""
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --herd) herd="$2"; shift 2 ;;
        *) break ;;
    esac
done
if [ -z "$out" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
if [ -z "$herd" ]; then
    . scripts/swift_flags.sh
    swift build -c release --product herd "${herd_swift_flags[@]}" >&2
    herd=.build/release/herd
fi
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(cartpole_ppo cartpole_vtrace acrobot_ppo acrobot_vtrace pendulum_ppo mountaincar_continuous_ppo)
printf "%-36s %10s %10s %7s %9s %12s %11s\n" config float int8 ratio "same act" "float bytes" "int8 bytes"
for config in "${configs[@]}"; do
    run="$out/$config"
    [ -f "$run/summary.json" ] || "$herd" train "configs/$config.yaml" --seed 0 --run-dir "$run" >/dev/null 2>&1
    # The policy a user deploys: the best checkpoint when the run evaluated, else the latest.
    which=latest
    [ -f "$run/checkpoints/best.safetensors" ] && which=best
    float=$("$herd" eval "$run" --checkpoint $which --episodes 100 --deterministic --json)
    int8=$("$herd" eval "$run" --checkpoint $which --episodes 100 --int8 --json)
    c_float=$("$herd" export "$run" --checkpoint $which --format c --out "$out/$config-float.c")
    c_int8=$("$herd" export "$run" --checkpoint $which --format c --int8 --out "$out/$config-int8.c")
    python3 - "$config ($which)" "$float" "$int8" "$c_float" "$c_int8" <<'PY'
import json, re, sys
config, f, q = sys.argv[1], json.loads(sys.argv[2])["mean_return"], json.loads(sys.argv[3])["mean_return"]
ratio = (q / f if f > 0 else f / q) if f != 0 and q != 0 else float("nan")
bytes_of = lambda line: int(re.search(r"(\d+) bytes of parameters", line).group(1))
same = re.search(r"acts as float on ([\d.]+)%", sys.argv[5]).group(1)
print(f"{config:<36} {f:10.2f} {q:10.2f} {ratio:7.3f} {same:>8}% {bytes_of(sys.argv[4]):12d} {bytes_of(sys.argv[5]):11d}")
PY
done
