#!/usr/bin/env python3
"""How soon a restarted fleet daemon trains again (issue 22's target: within
2 s of starting). A V-trace learner on CartPole listens on loopback with two
remote places; one `herd actor` with two workers fills them. Then, --rounds
times: the daemon is killed with SIGKILL (its workers die with it) and a new
one is started at once, as a supervisor such as systemd would. Measured
from the new daemon's start: when the learner has logged both of its
workers joining, and when training has gone on (metrics.jsonl's step moved
2,000 steps past where it stood when the first of them joined). Polled every 10 ms. Prints and writes
JSON; exit 1 when the slowest round trains again later than --target seconds.

    python3 benchmarks/daemon_rejoin.py [--herd .build/release/herd] [--rounds 10] [--out FILE]
"""
import argparse, json, os, signal, socket, statistics, subprocess, sys, tempfile, time

parser = argparse.ArgumentParser()
parser.add_argument("--herd", default=".build/release/herd")
parser.add_argument("--rounds", type=int, default=10)
parser.add_argument("--target", type=float, default=2.0)
parser.add_argument("--out")
args = parser.parse_args()
herd = os.path.abspath(args.herd)
scratch = tempfile.mkdtemp(prefix="herd-rejoin-")
run = os.path.join(scratch, "run")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def step():
    try:
        with open(os.path.join(run, "metrics.jsonl"), "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 4096))
            return json.loads(f.read().decode(errors="replace").strip().splitlines()[-1])["step"]
    except (OSError, ValueError, IndexError, KeyError):
        return 0


def joins():
    with open(os.path.join(scratch, "learner.log"), errors="replace") as f:
        return f.read().count("joined as worker")


endpoint = f"tcp://127.0.0.1:{free_port()}"
learner = subprocess.Popen(
    [herd, "train", "configs/cartpole_vtrace.yaml", "--listen", endpoint, "--run-dir", run,
     "--set", "fleet.local_workers=0", "--set", "fleet.remote_workers=2", "--set", "total_steps=100000000000",
     "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=2000", "--set", "checkpoint.interval_steps=1000000000"],
    stdout=open(os.path.join(scratch, "learner.log"), "w"), stderr=subprocess.STDOUT)


def daemon(n):
    return subprocess.Popen([herd, "actor", "--learner", endpoint, "--workers", "2", "--capacity", "32"],
                            stdout=open(os.path.join(scratch, f"actor{n}.log"), "w"), stderr=subprocess.STDOUT)


current = daemon(0)
rounds = []
try:
    deadline = time.time() + 60
    while step() < 20000 and time.time() < deadline:
        time.sleep(0.1)
    if step() < 20000:
        sys.exit(f"no training within 60 s; see {scratch}")
    for n in range(1, args.rounds + 1):
        time.sleep(2)  # train a while
        current.send_signal(signal.SIGKILL)
        current.wait()
        before_joins, before_step = joins(), step()
        current = daemon(n)
        started = time.time()
        joined = trained = None
        joined_step = None
        while time.time() - started < 60 and (joined is None or trained is None):
            now = time.time()
            if joined is None and joins() >= before_joins + 1:
                joined_step = step()  # steps logged from here on were taken by the new daemon's workers
            if joined is None and joins() >= before_joins + 2:
                joined = now - started
            if trained is None and joined_step is not None and step() > joined_step + 2000:
                trained = now - started
            time.sleep(0.01)
        rounds.append({"joined_seconds": joined, "trained_seconds": trained})
        print(f"round {n}: both workers joined after {joined if joined is None else round(joined, 2)} s, "
              f"training went on after {trained if trained is None else round(trained, 2)} s", flush=True)
finally:
    current.terminate()
    learner.terminate()
    learner.wait(timeout=60)
    current.wait(timeout=20)
trained = [r["trained_seconds"] for r in rounds if r["trained_seconds"] is not None]
joined = [r["joined_seconds"] for r in rounds if r["joined_seconds"] is not None]
result = {"rounds": rounds, "trained_seconds_median": statistics.median(trained) if trained else None,
          "trained_seconds_max": max(trained) if len(trained) == len(rounds) else None,
          "joined_seconds_median": statistics.median(joined) if joined else None, "target_seconds": args.target}
result["met"] = result["trained_seconds_max"] is not None and result["trained_seconds_max"] <= args.target
text = json.dumps(result, indent=2)
print(text)
if args.out:
    with open(args.out, "w") as f:
        f.write(text + "\n")
sys.exit(0 if result["met"] else 1)
