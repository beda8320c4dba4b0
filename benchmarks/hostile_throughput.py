#!/usr/bin/env python3
"""A good worker's training throughput beside hostile ones (issue 22's
targets): one V-trace learner on CartPole listening on loopback with CURVE,
every peer an insider with an authorised key of its own (so admission
control judges each hostile kind by its own key), one good `herd actor` worker, and windows of --window seconds that
alternate between the good worker alone and the good worker beside one
kind of hostile peer (benchmarks/hostile_peer.py --repeat: one process that
connects again after every goodbye, so that one is always at the door). The flood case runs three silent joiners at
once (join, ready, silence), as the finding that cut 51k to 6.4k steps/s.

Each hostile window's steps/s is divided by the mean of the solo windows
before and after it (same run, interleaved, so the host's drift cancels to
first order). The hostile processes run at nice 19: on a machine of two
cores their own CPU would otherwise be most of what they cost, and a real
hostile peer runs on its own machine; what is measured is what they cost
the learner. Targets: every ratio >= 0.80, the flood's >= 0.80 too (a cost
of at most 20%), and no learner step skipped for non-finite values
(`nonfinite_skipped` 0). Prints and writes JSON; exit 1 on a miss.

    python3 benchmarks/hostile_throughput.py [--herd .build/release/herd] [--window 15] [--no-curve] [--out FILE]

With --no-curve the learner listens without CURVE, as a learner on a
trusted network would; admission control then judges peers by address, so
each hostile kind connects from a loopback address of its own (127.0.0.2,
127.0.0.3, ...; the good worker from 127.0.0.1).
"""
import argparse, json, os, socket, subprocess, sys, tempfile, time

MODES = ["garbage", "silent", "nan", "inf_obs", "big_reward", "error", "dup_final", "chatty", "out_of_bounds", "flood"]
parser = argparse.ArgumentParser()
parser.add_argument("--herd", default=".build/release/herd")
parser.add_argument("--window", type=float, default=15)
parser.add_argument("--modes", default=",".join(MODES))
parser.add_argument("--out")
parser.add_argument("--no-curve", action="store_true", help="listen without CURVE (peers judged by address)")
parser.add_argument("--connection-seconds", type=float, default=3,
                    help="how long a hostile peer waits on one connection before it reconnects (0.1: one that hangs up early)")
args = parser.parse_args()
herd = os.path.abspath(args.herd)
here = os.path.dirname(os.path.abspath(__file__))
scratch = tempfile.mkdtemp(prefix="herd-hostile-")
run = os.path.join(scratch, "run")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def last(field="step"):
    try:
        with open(os.path.join(run, "metrics.jsonl"), "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 8192))
            return json.loads(f.read().decode(errors="replace").strip().splitlines()[-1]).get(field, 0)
    except (OSError, ValueError, IndexError):
        return 0


def keys(name):
    d = os.path.join(scratch, "keys", name)
    subprocess.run([herd, "keys", "generate", "--out", d], check=True, stdout=subprocess.DEVNULL)
    if name != "learner":
        os.makedirs(os.path.join(scratch, "authorized"), exist_ok=True)
        with open(os.path.join(d, "public.key")) as src, open(os.path.join(scratch, "authorized", f"{name}.key"), "w") as dst:
            dst.write(src.read())
    return d


# Every peer has a CURVE key of its own (an insider, authorised), so that each
# hostile kind is judged by admission control from a clean slate: its source.
learner_keys = keys("learner")
peer_keys = {name: keys(name) for name in ["good"] + MODES}


def curve(name):
    if args.no_curve:
        return []
    return ["--curve-key", os.path.join(peer_keys[name], "secret.key"), "--server-key", os.path.join(learner_keys, "public.key")]


endpoint = f"tcp://127.0.0.1:{free_port()}"
log = open(os.path.join(scratch, "learner.log"), "w")
learner = subprocess.Popen(
    [herd, "train", "configs/cartpole_vtrace.yaml", "--listen", endpoint, "--run-dir", run,
     *([] if args.no_curve else ["--curve-secret-key", os.path.join(learner_keys, "secret.key"),
                                 "--authorized-keys", os.path.join(scratch, "authorized")]),
     "--set", "fleet.local_workers=0", "--set", "fleet.remote_workers=4", "--set", "total_steps=100000000000",
     "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=2000", "--set", "checkpoint.interval_steps=1000000000"],
    stdout=log, stderr=subprocess.STDOUT)
good = subprocess.Popen([herd, "actor", "--learner", endpoint, "--workers", "1", "--capacity", "16"] + curve("good"),
                        stdout=open(os.path.join(scratch, "actor.log"), "w"), stderr=subprocess.STDOUT)
hostile = []


def source(mode):
    """Without CURVE, a loopback address of its own for each hostile kind."""
    return ["--source", f"127.0.0.{2 + MODES.index(mode)}"] if args.no_curve else []


def start_hostile(mode):
    """Long-lived hostile peers of `mode` that come back after every goodbye
    (one process each, so that starting interpreters costs nothing in the window)."""
    count, kind = (3, "silent") if mode == "flood" else (1, mode)
    for _ in range(count):
        hostile.append(subprocess.Popen(["nice", "-n", "19", sys.executable, os.path.join(here, "hostile_peer.py"), "--connect", endpoint,
                                         "--mode", kind, "--repeat", "--seconds", str(args.window + 2), "--connection-seconds", str(args.connection_seconds)]
                                        + curve(mode) + source(mode),
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))


def window(mode):
    if mode:
        start_hostile(mode)
        time.sleep(2)  # the interpreters start outside the window
    start_step, start = last(), time.time()
    while time.time() - start < args.window:
        if learner.poll() is not None:
            sys.exit(f"the learner exited with status {learner.returncode}; see {scratch}/learner.log")
        time.sleep(0.1)
    rate = (last() - start_step) / (time.time() - start)
    places = 0
    for p in hostile:
        try:
            out, _ = p.communicate(timeout=10)
            places += json.loads(out.strip().splitlines()[-1]).get("assigned", 0)
        except (subprocess.TimeoutExpired, ValueError, IndexError):
            p.kill()
            p.wait()
    hostile.clear()
    if mode:
        result["hostile_places_taken"][mode] = places
    return rate


result = {"window_seconds": args.window, "curve": not args.no_curve, "connection_seconds": args.connection_seconds, "ratios": {}, "solo_steps_per_second": [], "hostile_steps_per_second": {},
          "hostile_places_taken": {}}
try:
    deadline = time.time() + 60
    while last() < 20000 and time.time() < deadline:
        time.sleep(0.5)
    solo = window(None)
    result["solo_steps_per_second"].append(solo)
    for mode in args.modes.split(","):
        rate = window(mode)
        after = window(None)
        result["solo_steps_per_second"].append(after)
        result["hostile_steps_per_second"][mode] = rate
        result["ratios"][mode] = rate / ((solo + after) / 2) if solo + after > 0 else 0
        print(f"{mode:>10}: {rate:9.0f} steps/s beside it, solo {solo:9.0f} / {after:9.0f}: ratio {result['ratios'][mode]:.2f}", flush=True)
        solo = after
finally:
    good.terminate()
    learner.terminate()
    learner.wait(timeout=60)
    good.wait(timeout=20)
result["nonfinite_skipped"] = last("nonfinite_skipped")
result["bad_frames"] = last("bad_frames")
result["worker_errors"] = last("worker_errors")
misses = [m for m, r in result["ratios"].items() if r < 0.8]
if result["nonfinite_skipped"]:
    misses.append(f"{result['nonfinite_skipped']} learner steps skipped for non-finite values")
result["misses"] = misses
text = json.dumps(result, indent=2)
print(text)
if args.out:
    with open(args.out, "w") as f:
        f.write(text + "\n")
sys.exit(1 if misses else 0)
