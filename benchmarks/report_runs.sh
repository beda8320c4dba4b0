# Shared by the *_targets.sh scripts. Sourcing it with the script's
# arguments takes `[--out DIR]` (runs are kept in DIR, default a temporary
# one removed at exit) and builds herd in release mode. Then
# `report CONFIG SEEDS [LABEL [ARGS...]]` trains CONFIG with seeds
# 0..SEEDS-1 (and any extra `herd train` ARGS, e.g. --set overrides, under
# LABEL) into $out and prints one line per run from its summary.json.
out=""
if [ "${1:-}" = "--out" ]; then out="$2"; fi
if [ -z "$out" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
. scripts/swift_flags.sh
swift build -c release --product herd "${herd_swift_flags[@]}" >&2

report() {
    local config=$1 seeds=$2 name
    name=${3:-$(basename "$config" .yaml)}
    shift 2; [ $# -gt 0 ] && shift
    for seed in $(seq 0 $((seeds - 1))); do
        .build/release/herd train "$config" --seed "$seed" --run-dir "$out/$name-$seed" "$@" >/dev/null 2>&1
        python3 - "$out/$name-$seed/summary.json" "$name" "$seed" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
solved = s["solved_at_step"]
print(f"{sys.argv[2]:<28} seed {sys.argv[3]}  final eval {s['evaluation_return_last']:8.2f}  "
      f"best {s['evaluation_return_best']:8.2f}  first ≥ {s['target_return']:g} at {solved if solved is not None else 'never':>7}  "
      f"{s['steps_per_second']:8.0f} steps/s")
PY
    done
}
