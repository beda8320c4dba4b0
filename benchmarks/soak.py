#!/usr/bin/env python3
"""Soak test: V-trace on CartPole with two `herd actor` fleet daemons, for
--minutes, while a random fleet worker is killed (-9) every --kill-every
seconds and a daemon is killed (-9) and started again every
--restart-every seconds. The learner listens on loopback with CURVE.

Hostile and broken peers (benchmarks/hostile_peer.py: garbage, silent
joiners, NaN, infinite and out-of-range values, errors, duplicate final
observations, chatter out of turn) join every --hostile-every seconds: three
in four with an authorised key (an insider), one in four with no key
(refused at the CURVE handshake).

Reported: learner steps, faults injected and recovered, workers replaced
(joins after the first four), the seconds until each fault was made good
(the learner logged as many joins as the fault cost), resident memory of the learner after warm-up and
at the end, the longest stall (seconds without a new environment step in
metrics.jsonl). Fails (exit 1) when memory grew more than 10% after
warm-up (or, in a run of two hours or more, more than 2% over its last
hour: the median of its last ten per-minute readings against the median of
the first ten of that hour), training stalled longer than 10 s, a fault was
not recovered, a checkpoint on disk could not be read (every one is checked
each minute, and the last is evaluated at the end), or the learner counted
fewer bad frames or worker errors than the hostile peers are known to have
caused.
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
parser.add_argument("--hostile-every", type=float, default=20, help="seconds between hostile peers (0: none)")
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


def last_record(run):
    try:
        with open(os.path.join(run, "metrics.jsonl"), "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 8192))
            return json.loads(f.read().decode(errors="replace").strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return {}


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
for name in ["daemon0", "daemon1", "hostile"]:
    d = keys(name)
    daemon_keys.append(d)
    with open(os.path.join(d, "public.key")) as src, open(os.path.join(authorized, f"{name}.key"), "w") as dst:
        dst.write(src.read())
hostile_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile_peer.py")
HOSTILE_MODES = ["garbage", "silent", "nan", "inf_obs", "big_reward", "error", "dup_final", "chatty"]

endpoint = f"tcp://127.0.0.1:{free_port()}"
run = os.path.join(out, "run")
logs = {name: open(os.path.join(out, f"{name}.log"), "w") for name in ["learner", "daemon0", "daemon1"]}
learner = subprocess.Popen(
    [herd, "train", "configs/cartpole_vtrace.yaml", "--listen", endpoint, "--run-dir", run,
     "--curve-secret-key", os.path.join(learner_keys, "secret.key"), "--authorized-keys", authorized,
     "--set", "fleet.local_workers=0", "--set", "fleet.remote_workers=5", "--set", "fleet.remote_timeout=2",
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
        # Daemon workers only: hostile peers' joins would make faults look recovered.
        return sum(1 for line in f if "joined as worker" in line and "hostile-" not in line)


def start_hostile(mode, keyed, seed):
    command = [sys.executable, hostile_script, "--connect", endpoint, "--mode", mode, "--seconds", "5", "--seed", str(seed)]
    if keyed:
        command += ["--curve-key", os.path.join(daemon_keys[2], "secret.key"), "--server-key", os.path.join(learner_keys, "public.key")]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def checkpoints_readable(run):
    """(files, unreadable names): every checkpoint's safetensors header parses."""
    directory = os.path.join(run, "checkpoints")
    bad, count = [], 0
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if not name.endswith(".safetensors"):
            continue
        count += 1
        try:
            with open(os.path.join(directory, name), "rb") as f:
                size = int.from_bytes(f.read(8), "little")
                header = json.loads(f.read(size))
                end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
                f.seek(0, 2)
                if f.tell() != 8 + size + end:
                    bad.append(name)
        except FileNotFoundError:
            count -= 1  # rotated away between listing and reading
        except (OSError, ValueError, KeyError, TypeError):
            bad.append(name)
    return count, bad


hostiles, hostile_reports = [], []
next_hostile = time.time() + args.hostile_every if args.hostile_every > 0 else float("inf")
rss_samples = []  # (seconds since start, KiB)
checkpoint_problems, checkpoints_seen = [], 0
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
        if now >= next_hostile:
            next_hostile += args.hostile_every
            mode = rng.choice(HOSTILE_MODES)
            keyed = rng.random() < 0.75
            hostiles.append((mode, keyed, start_hostile(mode, keyed, rng.randrange(1 << 30))))
        for entry in list(hostiles):
            if entry[2].poll() is not None:
                hostiles.remove(entry)
                out_text = entry[2].stdout.read().strip().splitlines()
                try:
                    report = json.loads(out_text[-1])
                except (IndexError, ValueError):
                    report = {"mode": entry[0], "broken": out_text[-3:]}
                report["keyed"] = entry[1]
                hostile_reports.append(report)
        if now >= next_report:
            next_report += 60
            rss_samples.append((now - start, rss_kib(learner.pid)))
            files, bad = checkpoints_readable(run)
            checkpoints_seen = max(checkpoints_seen, files)
            checkpoint_problems += [b for b in bad if b not in checkpoint_problems]
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
    for entry in hostiles:
        entry[2].kill()
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
files, bad = checkpoints_readable(run)
checkpoint_problems += [b for b in bad if b not in checkpoint_problems]
evaluation = subprocess.run([herd, "eval", run, "--episodes", "3"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
if evaluation.returncode != 0:
    checkpoint_problems.append(f"herd eval of the last checkpoint failed: {evaluation.stdout.strip()[-300:]}")
last_hour = [kib for t, kib in rss_samples if t >= args.minutes * 60 - 3600]
hour_growth = None
if args.minutes >= 120 and len(last_hour) >= 20:
    first, last = sorted(last_hour[:10]), sorted(last_hour[-10:])
    hour_growth = (last[5] - first[5]) / first[5]
# What the hostile peers are known to have caused: a poisoned step that was
# asked for is one bad frame (or one worker error); garbage from a keyed peer
# is at least one bad frame.
assigned_poison = [r for r in hostile_reports if r.get("assigned") and r.get("sent_bad", 0) > 0]
caused_bad = sum(1 for r in assigned_poison if r["mode"] in ("nan", "inf_obs", "big_reward", "dup_final", "chatty")) \
    + sum(1 for r in hostile_reports if r.get("mode") == "garbage" and r.get("keyed"))
caused_errors = sum(1 for r in assigned_poison if r["mode"] == "error")
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
    "rss_last_hour_growth": hour_growth, "rss_per_minute_mib": [round(kib / 1024, 2) for _, kib in rss_samples],
    "hostile_peers": len(hostile_reports), "hostile_by_mode": {m: sum(1 for r in hostile_reports if r.get("mode") == m) for m in HOSTILE_MODES},
    "hostile_assigned": sum(1 for r in hostile_reports if r.get("assigned")),
    "hostile_told_goodbye": sum(1 for r in hostile_reports if r.get("told_goodbye")),
    "hostile_broken_reports": [r for r in hostile_reports if "broken" in r][:3],
    "bad_frames": summary.get("bad_frames"), "bad_frames_caused_at_least": caused_bad,
    "worker_errors": summary.get("worker_errors"), "worker_errors_caused": caused_errors,
    "peers_over_limit": summary.get("peers_over_limit"), "remote_refused": summary.get("remote_refused"),
    "remote_refused_by_admission": summary.get("remote_refused_by_admission"), "remote_reclaimed": summary.get("remote_reclaimed"),
    "nonfinite_skipped": last_record(run).get("nonfinite_skipped"),
    "checkpoints_on_disk": files, "checkpoint_problems": checkpoint_problems,
}
if failure is None and (growth is None or growth > 0.10):
    failure = f"learner memory grew {growth * 100:.1f}% after warm-up (limit 10%)" if growth is not None else "no memory baseline"
if failure is None and hour_growth is not None and hour_growth > 0.02:
    failure = f"learner memory grew {hour_growth * 100:.2f}% over the last hour (limit 2%)"
if failure is None and checkpoint_problems:
    failure = f"checkpoints that cannot be read: {checkpoint_problems}"
if failure is None and files == 0:
    failure = "no checkpoint on disk"
if failure is None and (summary.get("bad_frames") or 0) < caused_bad:
    failure = f"the learner counted {summary.get('bad_frames')} bad frames; the hostile peers caused at least {caused_bad}"
if failure is None and (summary.get("worker_errors") or 0) < caused_errors:
    failure = f"the learner counted {summary.get('worker_errors')} worker errors; the hostile peers sent {caused_errors}"
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
