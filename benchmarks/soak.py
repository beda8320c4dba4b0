#!/usr/bin/env python3
"""Soak test: V-trace on CartPole with two `herd actor` fleet daemons, for
--minutes, while a random fleet worker is killed (-9) every --kill-every
seconds and a daemon is killed (-9) and started again every
--restart-every seconds. The learner listens on loopback with CURVE.

Reported: learner steps, faults injected and recovered, workers replaced
(joins after the first four), the seconds until each fault was made good
(the learner logged as many joins as the fault cost), resident memory of the learner after warm-up and
at the end, the longest stall (seconds without a new environment step in
metrics.jsonl). Fails (exit 1) when memory grew more than 10% after
warm-up, training stalled longer than 10 s, or a fault was not recovered.
Writes soak.json beside the run. Only standard-library Python.
"""
import argparse, json, os, random, re, signal, socket, subprocess, sys, tempfile, time

parser = argparse.ArgumentParser()
parser.add_argument("--minutes", type=float, default=30)
parser.add_argument("--kill-every", type=float, default=30)
parser.add_argument("--restart-every", type=float, default=300)
parser.add_argument("--warmup", type=float, default=60, help="seconds before the baseline memory reading")
parser.add_argument("--herd", default=".build/release/herd")
parser.add_argument("--out", default=None)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

out = args.out or tempfile.mkdtemp(prefix="herd-soak-")
os.makedirs(out, exist_ok=True)
rng = random.Random(args.seed)
herd = os.path.abspath(args.herd)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keys(name):
    d = os.path.join(out, "keys", name)
    if not os.path.exists(os.path.join(d, "secret.key")):
        subprocess.run([herd, "keys", "generate", "--out", d], check=True, stdout=subprocess.DEVNULL)
    return d


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children(pid):
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(name))
    return found


def last_step(run):
    try:
        with open(os.path.join(run, "metrics.jsonl"), "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 4096))
            lines = f.read().decode(errors="replace").strip().splitlines()
        return int(json.loads(lines[-1])["step"]) if lines else 0
    except (OSError, ValueError, KeyError, IndexError):
        return 0


learner_keys, authorized = keys("learner"), os.path.join(out, "keys", "authorized")
os.makedirs(authorized, exist_ok=True)
daemon_keys = []
for i in range(2):
    d = keys(f"daemon{i}")
    daemon_keys.append(d)
    with open(os.path.join(d, "public.key")) as src, open(os.path.join(authorized, f"daemon{i}.key"), "w") as dst:
        dst.write(src.read())

endpoint = f"tcp://127.0.0.1:{free_port()}"
run = os.path.join(out, "run")
logs = {name: open(os.path.join(out, f"{name}.log"), "w") for name in ["learner", "daemon0", "daemon1"]}
learner = subprocess.Popen(
    [herd, "train", "configs/cartpole_vtrace.yaml", "--listen", endpoint, "--run-dir", run,
     "--curve-secret-key", os.path.join(learner_keys, "secret.key"), "--authorized-keys", authorized,
     "--set", "fleet.local_workers=0", "--set", "fleet.remote_workers=4", "--set", "fleet.remote_timeout=2",
     "--set", "total_steps=100000000000", "--set", "evaluation.interval_steps=0",
     "--set", "logging.interval_steps=20000", "--set", "checkpoint.interval_steps=2000000"],
    stdout=logs["learner"], stderr=subprocess.STDOUT)


def start_daemon(i):
    return subprocess.Popen(
        [herd, "actor", "--learner", endpoint, "--workers", "2", "--capacity", "32", "--learner-timeout", "5",
         "--curve-key", os.path.join(daemon_keys[i], "secret.key"), "--server-key", os.path.join(learner_keys, "public.key")],
        stdout=logs[f"daemon{i}"], stderr=subprocess.STDOUT)


def joins():
    with open(os.path.join(out, "learner.log"), errors="replace") as f:
        return f.read().count("joined as worker")


daemons = [start_daemon(0), start_daemon(1)]
start = time.time()
end = start + args.minutes * 60
next_kill, next_restart = start + args.kill_every, start + args.restart_every
restart_target = 0
faults = []  # [kind, time, joins needed to count it recovered, seconds to recover or None]
next_report = start + 60
baseline = None
max_stall, step, step_time = 0.0, 0, time.time()
failure = None
print(f"soak: {args.minutes:g} min, learner pid {learner.pid} on {endpoint} (CURVE), daemons {[d.pid for d in daemons]}, out {out}", flush=True)
try:
    while time.time() < end:
        time.sleep(1)
        now = time.time()
        if learner.poll() is not None:
            failure = f"the learner exited with status {learner.returncode}"
            break
        current = last_step(run)
        if current > step:
            step, step_time = current, now
        elif now - start > 20:
            max_stall = max(max_stall, now - step_time)
        if baseline is None and now - start >= args.warmup:
            baseline = rss_kib(learner.pid)
            print(f"soak: warm-up done at step {step}; learner RSS {baseline / 1024:.1f} MiB", flush=True)
        if now >= next_kill:
            next_kill += args.kill_every
            workers = [w for d in daemons for w in children(d.pid)]
            if workers:
                victim = rng.choice(workers)
                os.kill(victim, signal.SIGKILL)
                faults.append(["worker", now, joins() + 1, None])
                print(f"soak: {now - start:6.0f} s  step {step:>11}  killed worker {victim}", flush=True)
        if now >= next_restart:
            next_restart += args.restart_every
            i = restart_target
            restart_target = 1 - restart_target
            daemons[i].kill()
            daemons[i].wait()
            daemons[i] = start_daemon(i)
            faults.append(["daemon", now, joins() + 2, None])
            print(f"soak: {now - start:6.0f} s  step {step:>11}  restarted daemon {i} (pid {daemons[i].pid})", flush=True)
        joined = joins()
        for fault in faults:
            if fault[3] is None and joined >= fault[2]:
                fault[3] = now - fault[1]
        if now >= next_report:
            next_report += 60
            print(f"soak: {now - start:6.0f} s  step {step:>11}  RSS {rss_kib(learner.pid) / 1024:.1f} MiB  "
                  f"joins {joined}  longest stall {max_stall:.1f} s", flush=True)
    final_rss = rss_kib(learner.pid) if learner.poll() is None else 0
    # Faults of the last half minute get time to recover.
    deadline = time.time() + 30
    while time.time() < deadline and any(f[3] is None for f in faults):
        time.sleep(1)
        joined = joins()
        for fault in faults:
            if fault[3] is None and joined >= fault[2]:
                fault[3] = time.time() - fault[1]
    total_joins = joins()
finally:
    for d in daemons:
        d.send_signal(signal.SIGINT)
    if learner.poll() is None:
        learner.send_signal(signal.SIGINT)
    try:
        learner.wait(timeout=60)
    except subprocess.TimeoutExpired:
        learner.kill()
    for d in daemons:
        try:
            d.wait(timeout=20)
        except subprocess.TimeoutExpired:
            d.kill()

summary = {}
try:
    with open(os.path.join(run, "summary.json")) as f:
        summary = json.load(f)
except (OSError, ValueError):
    pass
unrecovered = [f[0] for f in faults if f[3] is None]
recoveries = [f[3] for f in faults if f[3] is not None]
growth = (final_rss - baseline) / baseline if baseline else None
result = {
    "minutes": args.minutes, "learner_steps": summary.get("steps", step), "learner_updates": summary.get("updates"),
    "faults_injected": len(faults), "worker_kills": sum(1 for f in faults if f[0] == "worker"),
    "daemon_restarts": sum(1 for f in faults if f[0] == "daemon"), "faults_unrecovered": len(unrecovered),
    "recovery_seconds_max": max(recoveries) if recoveries else None,
    "recovery_seconds_mean": sum(recoveries) / len(recoveries) if recoveries else None,
    "workers_replaced": max(0, total_joins - 4), "remote_joined": summary.get("remote_joined"), "remote_lost": summary.get("remote_lost"),
    "curve_refused": (summary.get("curve_refused_unknown_key") or 0) + (summary.get("curve_refused_handshake") or 0),
    "rss_after_warmup_mib": baseline / 1024 if baseline else None, "rss_end_mib": final_rss / 1024,
    "rss_growth": growth, "longest_stall_seconds": max_stall, "learner_exit": learner.returncode,
    "steps_per_second": summary.get("steps_per_second"), "run": run,
}
if failure is None and (growth is None or growth > 0.10):
    failure = f"learner memory grew {growth * 100:.1f}% after warm-up (limit 10%)" if growth is not None else "no memory baseline"
if failure is None and max_stall > 10:
    failure = f"training stalled for {max_stall:.1f} s (limit 10 s)"
if failure is None and unrecovered:
    failure = f"{len(unrecovered)} faults not recovered: {unrecovered}"
result["failure"] = failure
with open(os.path.join(out, "soak.json"), "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
print(f"soak: {'FAILED: ' + failure if failure else 'passed'}")
sys.exit(1 if failure else 0)
