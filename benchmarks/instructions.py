#!/usr/bin/env python3
"""Instructions per unit of Herd's CPU-bound single-thread figures, counted
by callgrind: the same binary on the same inputs executes the same
instructions whatever else the machine does, so these figures can be
compared between runs to within a fraction of a percent where seconds on a
shared VM move by 15-25%.

    python3 benchmarks/instructions.py [--herd BIN] [--out FILE] [--envs CartPole-v1,...]

Counted: every `herd bench tensor` figure (the 1024³ product through
Tensor.matmul and through cblas_sgemm, the MLP, LSTM, PPO and both conv
training steps, one tiny op) and in-process stepping of each environment
(`herd bench envs --in-process`). Each is a region the benchmark marks
with callgrind's client requests (Sources/HerdBenchmarks/InstructionCount.swift):
counters zeroed as the timed loop starts, dumped with a label
`herd:FIGURE:UNITS` as it ends; warm-ups are outside. The figure is the
region's instructions (callgrind's Ir) divided by its units.

The binary. valgrind 3.19 does not run AVX-512 code or read the mixed
DWARF 4/5 of a Swift release build, so without --herd this builds a copy
for x86-64-v3 (AVX2, no AVX-512) in .build-callgrind and strips its
debug information (the first build takes minutes; later ones are quick).
Its counts are the x86-64-v3 code's, not the native build's: compare
counts from the same kind of binary only. OpenBLAS is pinned to its
Haswell kernels and one thread, and Swift's hashing made deterministic
(SWIFT_DETERMINISTIC_HASHING), so that nothing but the code decides what
is executed.

Prints one JSON object on one line: {"figures": {"instructions_KEY": {"unit", "median",
"runs", ...}}, "binary", "valgrind", "seconds"}; the suite (suite.py)
merges its figures into results.json and compare_runs.py judges them.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENVS = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1", "MemoryChain-v0", "Catch-v0",
        "MinAtar/Breakout-v1", "MinAtar/Asterix-v1", "MinAtar/Freeway-v1", "MinAtar/Seaquest-v1", "MinAtar/SpaceInvaders-v1"]
# A tensor figure's key and the unit its instructions are counted per.
TENSOR_UNITS = {"matmul_1024": "product", "cblas_1024": "product", "mlp_step": "step", "lstm_step": "step",
                "ppo_step_256": "step", "ppo_step_64": "step", "conv_nature_step": "step", "conv_minatar_step": "step",
                "op_overhead": "op"}


def build_binary():
    """A copy of herd that valgrind can run: x86-64-v3, debug info stripped."""
    scratch = os.path.join(ROOT, ".build-callgrind")
    command = ". scripts/swift_flags.sh && swift build -c release --product herd --scratch-path .build-callgrind \"${herd_swift_flags[@]}\""
    print("instructions: building herd for x86-64-v3 in .build-callgrind", file=sys.stderr)
    subprocess.run(["bash", "-c", command], cwd=ROOT, check=True, env={**os.environ, "HERD_MARCH": "x86-64-v3"},
                   stdout=sys.stderr)
    built = os.path.join(scratch, "release", "herd")
    stripped = os.path.join(scratch, "herd-callgrind")
    shutil.copy2(built, stripped)
    subprocess.run(["strip", "-g", stripped], check=True)
    return stripped


def regions(directory):
    """{figure: (instructions, units)} summed over every labelled dump in `directory`."""
    totals = {}
    for path in glob.glob(os.path.join(directory, "callgrind.out*")):
        label, instructions = None, None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("desc: Trigger: Client Request: herd:"):
                    label = line.split("Client Request: ", 1)[1].strip()
                elif line.startswith("totals:") or line.startswith("summary:"):
                    instructions = int(line.split()[1])
        if label is None or instructions is None:
            continue
        figure, units = label[len("herd:"):].rsplit(":", 1)
        have = totals.get(figure, (0, 0))
        totals[figure] = (have[0] + instructions, have[1] + int(units))
    return totals


def count(herd, arguments, environment):
    """Runs `herd ARGUMENTS` under callgrind; returns its regions."""
    directory = tempfile.mkdtemp(prefix="herd-callgrind-")
    command = ["valgrind", "--tool=callgrind", "--dump-line=no", "--compress-strings=no",
               f"--callgrind-out-file={directory}/callgrind.out.%p", herd] + arguments
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise RuntimeError(f"valgrind {' '.join(arguments[:3])}: exit {result.returncode}: {result.stderr.strip()[-600:]}")
    found = regions(directory)
    shutil.rmtree(directory, ignore_errors=True)
    if not found:
        raise RuntimeError(f"no labelled regions from `herd {' '.join(arguments)}`: was it built without valgrind's headers "
                           "(Debian's valgrind package)?")
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--herd", help="a callgrind-runnable herd (default: build one in .build-callgrind)")
    parser.add_argument("--out")
    parser.add_argument("--envs", default=",".join(ENVS))
    parser.add_argument("--env-steps", type=int, default=200_000)
    parser.add_argument("--tiny", action="store_true", help="seconds, not a measurement: the quick tensor sizes and 2,000 steps")
    parser.add_argument("--only", help="only these `herd bench tensor` figures (its --only prefixes, e.g. mlp,ppo); "
                        "the 1024³ products and the Nature conv step take most of the ~8 minutes")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("instructions: valgrind is not installed (apt-get install -y valgrind)")
    started = time.time()
    herd = os.path.abspath(args.herd) if args.herd else build_binary()
    environment = {**os.environ, "OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1", "HERD_BLAS_THREADS": "1",
                   "SWIFT_DETERMINISTIC_HASHING": "1"}
    figures = {}

    def add(key, instructions, units, unit):
        figures[f"instructions_{key}"] = {"unit": f"instructions/{unit}", "repeats": 1, "median": instructions / units,
                                          "min": instructions / units, "max": instructions / units,
                                          "runs": [instructions / units], "units": units, "instructions": instructions}

    tensor = count(herd, ["bench", "tensor", "--json", "--quick" if args.tiny else "--instructions"]
                   + (["--only", args.only] if args.only else []), environment)
    for figure, (instructions, units) in sorted(tensor.items()):
        add(figure, instructions, units, TENSOR_UNITS.get(re.sub(r"_128$", "_1024", figure), "iteration"))
    steps = 2000 if args.tiny else args.env_steps
    for env in [e for e in args.envs.split(",") if e]:
        found = count(herd, ["bench", "envs", "--in-process", "--env", env, "--steps", str(steps), "--json"], environment)
        for figure, (instructions, units) in found.items():
            name = figure.split(":", 1)[1]
            add("env_step_" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_"), instructions, units, "step")
    version = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()
    out = {"figures": figures, "binary": herd, "valgrind": version, "seconds": round(time.time() - started, 1)}
    print(json.dumps(out, sort_keys=True))  # one line: the suite reads the last line
    if args.out:
        with open(args.out, "w") as f:
            f.write(json.dumps(out, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
