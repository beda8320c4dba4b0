"""The benchmark suite behind benchmarks/run.sh: runs every benchmark with a
fixed seed and a stated number of repeats, writes OUT/results.json,
OUT/results.md and SVG plots (PNG too when matplotlib is importable).

    python3 benchmarks/suite.py --herd .build/release/herd --out DIR [--quick] [--tiny] [--peers PYTHON]

Every figure is {"unit", "repeats", "median", "min", "max", "runs"}. A peer
comparison is a ratio of two medians measured in this run. A benchmark that
fails records {"error": "..."} under its key and the suite goes on, so a
missing peer or a broken script shows in the results instead of hiding them.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(args, **kw):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, **kw)


def json_of(args):
    result = sh(args)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}…: exit {result.returncode}: {result.stderr.strip()[-400:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def figure(values, unit):
    return {"unit": unit, "repeats": len(values), "median": statistics.median(values), "min": min(values),
            "max": max(values), "runs": values}


class Suite:
    def __init__(self, args):
        self.args = args
        self.herd = args.herd
        self.results = {"figures": {}, "tables": {}, "errors": {}}
        self.quick, self.tiny = args.quick or args.tiny, args.tiny
        # Step budgets: full, --quick, --tiny (CI: only that every key appears).
        # Throughput figures: one sample per round, rounds spread over the run.
        self.rounds = 1 if self.tiny else (args.rounds or (5 if self.quick else 7))
        self.round, self.samples = 0, {}
        self.scale = 0.002 if self.tiny else (0.25 if self.quick else 1.0)
        self.work = tempfile.mkdtemp(prefix="herd-bench-")

    def steps(self, n, floor=1000):
        return max(floor, int(n * self.scale))

    def sample_steps(self, n, floor=1000):
        """A throughput sample's budget: --quick halves it (not a quarter: a
        sample shorter than about a second is mostly the host's noise)."""
        return self.steps(n, floor) if self.tiny else int(n * (0.5 if self.quick else 1.0))

    def record(self, key, build):
        started = time.time()
        try:
            value = build()
            if isinstance(value, dict) and "unit" in value:
                self.results["figures"][key] = value
            else:
                self.results["tables"][key] = value
        except Exception as error:  # noqa: BLE001 - recorded, not hidden
            self.results["errors"][key] = str(error)
            print(f"suite: {key} failed: {error}", file=sys.stderr)
        print(f"suite: {key} ({time.time() - started:.0f} s)", file=sys.stderr)

    # MARK: Machine and versions

    def machine(self):
        cpu = "unknown"
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
            memory = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) * 1024
        except (OSError, StopIteration):
            memory = None
        versions = {"herd": sh([self.herd, "--version"]).stdout.strip(),
                    "swift": (sh(["swift", "--version"]).stdout or "").strip().splitlines()[0] if shutil.which("swift") else None,
                    "libzmq": sh(["pkg-config", "--modversion", "libzmq"]).stdout.strip() or None,
                    "python": platform.python_version()}
        match = re.search(r"OpenBLAS ([0-9.]+)", versions["herd"] or "")
        versions["openblas"] = match.group(1) if match else None
        if self.args.peers:
            probe = ("import importlib, json\nout = {}\n"
                     "for m in ['gymnasium', 'envpool', 'stable_baselines3', 'torch', 'numpy']:\n"
                     "    try: out[m] = importlib.import_module(m).__version__\n"
                     "    except Exception: out[m] = None\nprint(json.dumps(out))")
            result = sh([self.args.peers, "-c", probe])
            versions["peers"] = json.loads(result.stdout) if result.returncode == 0 else {"error": result.stderr[-300:]}
        if self.args.sample_factory:
            result = sh([self.args.sample_factory, "-c", "import importlib.metadata as m; print(m.version('sample-factory'))"])
            versions["sample_factory"] = result.stdout.strip() if result.returncode == 0 else None
        self.results["machine"] = {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": memory,
                                   "system": platform.platform(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
        self.results["versions"] = versions
        self.results["settings"] = {"quick": self.quick, "tiny": self.tiny, "rounds": self.rounds, "step_scale": self.scale,
                                    "peers": bool(self.args.peers), "seed": 0}

    # MARK: Throughput rounds

    def throughput_round(self):
        """One sample of every throughput figure (environment stepping, the
        pool, the peers, tensor kernels). The suite takes `rounds` of these
        spread over its whole run, between the other sections: on a shared
        host, throughput drifts over minutes and differs from one process to
        the next (placement, caches), so a figure's repeats are separate
        processes at separate times and its median is not one stretch's luck."""
        h = self.herd
        pool = lambda extra: json_of([h, "bench", "envs", "--env", "CartPole-v1", "--workers", "2", "--envs-per-worker", "64",
                                      "--steps", str(self.sample_steps(2_000_000)), "--json"] + extra)
        self.sample("env_in_process_cartpole", lambda: {"env_in_process_cartpole": (json_of(
            [h, "bench", "envs", "--in-process", "--env", "CartPole-v1", "--steps", str(self.sample_steps(20_000_000, floor=100_000)),
             "--json"])["steps_per_second"], "steps/s")})

        def sync():
            r = pool([])
            return {"pool_sync_2x64": (r["steps_per_second"], "steps/s"), "pool_roundtrip_p50": (r["latency_p50_us"], "µs"),
                    "pool_roundtrip_p99": (r["latency_p99_us"], "µs")}
        # The pool's own samples are bimodal on this VM (about 1.1M and 1.4M
        # steps/s, by where the scheduler puts the three processes): three a
        # round, so that the median of 15 does not flip between the modes
        # from one run to the next. Each takes about a second.
        for _ in range(1 if self.tiny else 3):
            self.sample("pool_sync_2x64", sync)
        self.sample("pool_async_2x64_batch64", lambda: {"pool_async_2x64_batch64": (
            pool(["--async", "--batch-size", "64"])["steps_per_second"], "steps/s")})
        if self.args.peers:
            def peer(key, name, envs, steps):
                self.sample(key, lambda: {key: (json_of(
                    [self.args.peers, "benchmarks/peer_envs.py", name, "--envs", str(envs),
                     "--steps", str(self.sample_steps(steps, floor=5_000))])["steps_per_second"], "steps/s")})
            peer("gymnasium_sync_16", "gymnasium-sync", 16, 200_000)
            peer("gymnasium_async_16", "gymnasium-async", 16, 50_000)
            peer("envpool_sync_128", "envpool", 128, 2_000_000)
        # The tensor benchmark's own repeats are timed runs in one process;
        # --tiny only checks that it runs.
        tensor_size = ["--quick"] if self.tiny else ["--repeats", "2" if self.quick else "7"]

        def tensor():
            r = json_of([h, "bench", "tensor", "--json"] + tensor_size)
            units = {"mlp_step_us": "µs", "ppo_step_256_us": "µs", "ppo_step_64_us": "µs", "lstm_step_us": "µs",
                     "matmul_ratio": "×", "op_overhead_ns": "ns"}
            out = {f"tensor_{k}": (r[k], u) for k, u in units.items() if k in r}
            out.update({f"tensor_{k}": (v, "GFLOP/s") for k, v in r.items() if k.endswith("_gflops")})
            return out
        self.sample("tensors", tensor)
        if self.args.peers:
            iterations = "100" if self.tiny else ("200" if self.quick else "2000")
            self.sample("torch_mlp_step_us", lambda: {"torch_mlp_step_us": (json_of(
                [self.args.peers, "benchmarks/torch_mlp_step.py", "2", iterations])["torch_mlp_step_us"], "µs")})

    def sample(self, name, run):
        """Runs one probe and adds each of its figures' values to that figure's runs."""
        started = time.time()
        try:
            for key, (value, unit) in run().items():
                self.samples.setdefault(key, {"unit": unit, "runs": []})["runs"].append(value)
        except Exception as error:  # noqa: BLE001 - recorded, not hidden
            self.results["errors"][f"{name} (round {self.round})"] = str(error)
            print(f"suite: {name} failed: {error}", file=sys.stderr)
        print(f"suite: round {self.round}: {name} ({time.time() - started:.0f} s)", file=sys.stderr)

    def next_round(self):
        if self.round < self.rounds:
            self.round += 1
            self.throughput_round()

    def finish_rounds(self):
        while self.round < self.rounds:
            self.next_round()
        for key, sampled in self.samples.items():
            self.results["figures"][key] = figure(sampled["runs"], sampled["unit"])
        if self.args.peers:
            self.ratio("herd_sync_vs_gymnasium_async", "pool_sync_2x64", "gymnasium_async_16")
            self.ratio("herd_sync_vs_gymnasium_sync", "pool_sync_2x64", "gymnasium_sync_16")
            self.ratio("herd_sync_vs_envpool", "pool_sync_2x64", "envpool_sync_128")
            self.ratio("mlp_step_vs_torch", "tensor_mlp_step_us", "torch_mlp_step_us", invert=True)

    def ratio(self, key, ours, theirs, invert=False):
        f = self.results["figures"]
        if ours in f and theirs in f:
            a, b = f[ours]["median"], f[theirs]["median"]
            self.results["figures"][key] = {"unit": "×", "repeats": 1, "median": (b / a) if invert else (a / b),
                                            "min": None, "max": None, "runs": [], "of": [ours, theirs]}

    def scaling(self):
        # --quick: the corners and the middle of the sweep (10 minutes in all).
        workers = [1, 2] if self.tiny else ([1, 2, 8] if self.quick else [1, 2, 4, 8])
        envs = [1, 16] if self.tiny else ([1, 64, 256] if self.quick else [1, 16, 64, 256])
        rows = []
        for w in workers:
            for k in envs:
                steps = self.steps(max(200_000, min(2_000_000, 20_000 * w * k)))
                r = json_of([self.herd, "bench", "envs", "--env", "CartPole-v1", "--workers", str(w), "--envs-per-worker", str(k),
                             "--steps", str(steps), "--json"])
                rows.append({"workers": w, "envs_per_worker": k, "steps_per_second": r["steps_per_second"]})
        return rows

    def inference(self):
        rows = []
        # --quick: the CPU only, at two batches (the README's row is 2 × 16).
        devices = ["cpu"] + ([] if self.quick else ["gpu-a100", "tpu-v1:bf16"])
        for device in devices:
            for k in ([4] if self.tiny else ([16, 64] if self.quick else [1, 4, 16, 64])):
                # Small batches step slowly: their budget shrinks with the batch (100k steps for 2 environments).
                steps = self.steps(min(1_000_000, 50_000 * 2 * k))
                r = json_of([self.herd, "bench", "inference", "--env", "CartPole-v1", "--workers", "2", "--envs-per-worker", str(k),
                             "--steps", str(steps), "--device", device, "--json"])
                rows.append({key: r.get(key) for key in ["device", "workers", "envs_per_worker", "mean_batch", "steps_per_second",
                                                         "latency_p50_us", "latency_p99_us", "device_utilization",
                                                         "bare_pool_steps_per_second", "ratio_to_bare_pool"]})
        return rows

    # MARK: Learning

    def train(self, config, seed, extra):
        run = os.path.join(self.work, f"{os.path.basename(config)}-{seed}-{len(os.listdir(self.work))}")
        result = sh([self.herd, "train", config, "--seed", str(seed), "--run-dir", run] + extra)
        if result.returncode != 0:
            raise RuntimeError(f"herd train {config}: {result.stderr.strip()[-400:]}")
        summary = json.load(open(os.path.join(run, "summary.json")))
        curve = []
        for line in open(os.path.join(run, "metrics.jsonl")):
            record = json.loads(line)
            if record.get("eval_return_mean") is not None:
                curve.append([record["step"], record["wall_seconds"], record["eval_return_mean"]])
        return summary, curve

    def learning_steps(self, budget):
        # Learning runs stop when solved, so --quick keeps the full budget.
        return self.steps(budget, floor=2000) if self.tiny else budget

    def seeds(self, quick):
        """Seeds of a learning benchmark: 5 in full runs (Agarwal et al. 2021
        aggregate over at least that many), `quick` with --quick, 2 with --tiny
        (enough to aggregate)."""
        return 2 if self.tiny else (quick if self.quick else 5)

    def eval_interval(self, steps):
        return max(1000, min(10_000, steps // 5))

    @staticmethod
    def solve_table(steps, rows, curves):
        solved = [r for r in rows if r["solved_at_step"] is not None]
        out = {"budget_steps": steps, "runs": rows, "solved": f"{len(solved)} of {len(rows)}", "curves": curves}
        if solved:
            out["median_solve_steps"] = statistics.median(r["solved_at_step"] for r in solved)
            out["median_solve_seconds"] = statistics.median(r["solved_wall_seconds"] for r in solved)
        return out

    def seed_runs(self, label, seeds, run):
        """Runs `run(seed) -> (row, curve)` for each seed. A seed that fails is
        recorded under errors and left out; the table fails only if all do."""
        rows, curves = [], []
        for seed in range(seeds):
            try:
                row, curve = run(seed)
            except Exception as error:  # noqa: BLE001 - recorded, not hidden
                self.results["errors"][f"{label} seed {seed}"] = str(error)
                print(f"suite: {label} seed {seed} failed: {error}", file=sys.stderr)
                continue
            rows.append(row)
            curves.append(curve)
        if not rows:
            raise RuntimeError(f"every seed of {label} failed")
        return rows, curves

    def solve(self, config, budget, seeds, extra=[]):
        steps = self.learning_steps(budget)

        def run(seed):
            summary, curve = self.train(config, seed, ["--set", f"total_steps={steps}", "--set", "evaluation.stop_at_target=true",
                                                       "--set", f"evaluation.interval_steps={self.eval_interval(steps)}"] + extra)
            # Steps/s while learning: from the session's start (workers running) minus evaluations, ramp-up included.
            learning = summary["wall_seconds"] - (summary.get("evaluation_seconds") or 0)
            return {"seed": seed, "solved_at_step": summary["solved_at_step"], "solved_wall_seconds": summary["solved_wall_seconds"],
                    "evaluation_return_best": summary["evaluation_return_best"], "steps_per_second": summary["steps_per_second"],
                    "total_steps": summary["steps"], "wall_seconds": summary["wall_seconds"],
                    "evaluation_seconds": summary.get("evaluation_seconds"),
                    "training_steps_per_second": summary["steps"] / learning if learning > 0 else None}, curve
        return self.solve_table(steps, *self.seed_runs(os.path.basename(config), seeds, run))

    def sb3(self, algo, budget, seeds):
        steps = self.learning_steps(budget)

        def run(seed):
            r = json_of([self.args.peers, "benchmarks/sb3_ppo_cartpole.py", "--algo", algo, "--seed", str(seed),
                         "--steps", str(steps), "--eval-interval", str(self.eval_interval(steps))])
            curve = r.get("curve", [])
            return {"seed": seed, "solved_at_step": r["steps"], "solved_wall_seconds": r["wall_seconds"] if r["solved"] else None,
                    "final_eval": r["final_eval"], "evaluation_return_best": max((p[2] for p in curve), default=None),
                    "total_steps": r["steps"] if r["solved"] else steps, "wall_seconds": r["wall_seconds"]}, curve
        return self.solve_table(steps, *self.seed_runs(f"sb3 {algo}", seeds, run))

    def sample_factory(self, budget, seeds):
        """Sample Factory's APPO (benchmarks/sample_factory_cartpole.py). Its
        clock starts when its processes do; Herd's and SB3's start with their
        environments running, so its start-up (to its first training
        iteration) is taken off every time it reports."""
        steps = self.learning_steps(budget)

        def run(seed):
            r = json_of([self.args.sample_factory, "benchmarks/sample_factory_cartpole.py", "--seed", str(seed), "--steps", str(steps),
                         "--eval-interval", str(self.eval_interval(steps))])
            startup = r.get("startup_seconds") or 0
            curve = [[p[0], p[1] - startup, p[2]] for p in r.get("curve", [])]
            return {"seed": seed, "solved_at_step": r["steps"], "solved_wall_seconds": r["wall_seconds"] - startup if r["solved"] else None,
                    "final_eval": r["final_eval"], "evaluation_return_best": max((p[2] for p in curve), default=None),
                    "total_steps": r["total_steps"], "wall_seconds": r["total_seconds"] - startup, "startup_seconds": startup,
                    "evaluation_seconds": r.get("evaluation_seconds"),
                    "training_steps_per_second": r["training_steps_per_second"]}, curve
        return self.solve_table(steps, *self.seed_runs("sample factory appo", seeds, run))

    def learning(self):
        # Seeds: as many as --quick's 10 minutes allow (SB3 DQN takes 2-3
        # minutes a seed: full runs only). The ratios between systems are
        # IQMs over these seeds with bootstrap intervals (benchmarks/report.py).
        # A throughput round after each learning run spreads the rounds over the suite.
        self.record("cartpole_ppo_solve", lambda: self.solve("configs/cartpole_ppo.yaml", 100_000, self.seeds(5)))
        self.next_round()
        self.record("cartpole_vtrace_solve", lambda: self.solve("configs/cartpole_vtrace.yaml", 1_000_000, self.seeds(5)))
        self.next_round()
        # R2D2 learns at ~4k steps/s (its learner bounds acting): --quick stops a seed at 300k.
        self.record("cartpole_r2d2_solve", lambda: self.solve("configs/cartpole_r2d2.yaml", 300_000 if self.quick else 500_000,
                                                              self.seeds(3)))
        self.next_round()
        pendulum_steps = self.learning_steps(500_000)
        self.record("pendulum_ppo_final_return", lambda: figure([self.train("configs/pendulum_ppo.yaml", seed, [
            "--set", f"total_steps={pendulum_steps}", "--set", f"evaluation.interval_steps={pendulum_steps}"])[0]["evaluation_return_last"]
            for seed in range(self.seeds(1) if self.quick else self.seeds(3))], "return"))
        self.next_round()
        if self.args.peers:
            self.record("sb3_ppo_cartpole_solve", lambda: self.sb3("ppo", 100_000, self.seeds(5)))
            self.next_round()
            if not self.quick or self.tiny:
                self.record("sb3_dqn_cartpole_solve", lambda: self.sb3("dqn", 50_000, self.seeds(5)))
        if self.args.sample_factory:
            self.record("sf_appo_cartpole_solve", lambda: self.sample_factory(1_000_000, self.seeds(3)))

    def instructions(self):
        """Instructions per unit under callgrind, merged into the figures."""
        command = [sys.executable, "benchmarks/instructions.py", "--herd", self.args.instructions]
        if self.tiny:
            command += ["--tiny", "--envs", "CartPole-v1"]
        elif self.quick:
            # The 1024³ products and the Nature conv step take most of the
            # 8 minutes callgrind needs for every figure: full runs only.
            command += ["--only", "mlp,lstm,ppo,conv_minatar,op"]
        result = json_of(command)
        self.results["figures"].update(result["figures"])
        self.results["versions"]["valgrind"] = result["valgrind"]
        return {"done": True}

    # MARK: Output

    def write(self):
        out = self.args.out
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1, default=str)
        if not self.report(out):
            with open(os.path.join(out, "results.json"), "w") as f:
                json.dump(self.results, f, indent=1, default=str)
        with open(os.path.join(out, "results.md"), "w") as f:
            f.write(markdown(self.results))

    def report(self, out):
        """Aggregates over seeds and draws the plots (benchmarks/report.py,
        with rliable and matplotlib): with this Python if it has them, else
        with the peers' Python."""
        check = "import rliable.library, matplotlib"
        python = next((p for p in [sys.executable, self.args.peers] if p and sh([p, "-c", check]).returncode == 0), None)
        if python is None:
            self.results["errors"]["report"] = (f"rliable and matplotlib are not importable by {sys.executable}"
                                                f"{' or ' + self.args.peers if self.args.peers else ''}: no aggregates or plots "
                                                "(scripts/setup.sh --python installs them)")
            return False
        reps = ["--reps", "200"] if self.tiny else []
        result = sh([python, "benchmarks/report.py", out] + reps)
        if result.returncode != 0:
            self.results["errors"]["report"] = f"benchmarks/report.py: exit {result.returncode}: {result.stderr.strip()[-400:]}"
            return False
        self.results = json.load(open(os.path.join(out, "results.json")))
        return True


def markdown(r):
    m, v = r.get("machine", {}), r.get("versions", {})
    lines = [f"# Herd benchmark results, {m.get('date')}", "",
             f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {round((m.get('memory_bytes') or 0) / 2**30, 1)} GiB; {m.get('system')}.",
             f"Versions: {v.get('herd')}; {v.get('swift')}; libzmq {v.get('libzmq')}; OpenBLAS {v.get('openblas')}; "
             f"peers {json.dumps(v.get('peers')) if v.get('peers') else 'not run'}.",
             f"Settings: {json.dumps(r.get('settings'))}", "", "## Figures", "", "| figure | median | min | max | repeats | unit |",
             "|---|---|---|---|---|---|"]
    fmt = lambda x: "—" if x is None else (f"{x:,.3g}" if isinstance(x, float) and abs(x) < 100 else f"{x:,.0f}" if isinstance(x, (int, float)) else str(x))
    for key, f in r["figures"].items():
        lines.append(f"| {key} | {fmt(f['median'])} | {fmt(f['min'])} | {fmt(f['max'])} | {f['repeats']} | {f['unit']} |")
    t = r["tables"]
    if "scaling_sweep" in t:
        lines += ["", "## Pool scaling (sync, CartPole-v1, steps/s)", ""]
        envs = sorted({row["envs_per_worker"] for row in t["scaling_sweep"]})
        lines += ["| workers | " + " | ".join(f"{k} envs/worker" for k in envs) + " |", "|---|" + "---|" * len(envs)]
        for w in sorted({row["workers"] for row in t["scaling_sweep"]}):
            cells = [next((fmt(row["steps_per_second"]) for row in t["scaling_sweep"] if row["workers"] == w and row["envs_per_worker"] == k), "—")
                     for k in envs]
            lines.append(f"| {w} | " + " | ".join(cells) + " |")
    if "inference_vs_batch" in t:
        lines += ["", "## Central inference against batch size (2 workers)", "",
                  "| device | envs/worker | mean batch | steps/s | p50 µs | p99 µs | device utilisation | bare pool steps/s | ratio |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for row in t["inference_vs_batch"]:
            lines.append("| " + " | ".join(fmt(row.get(k)) for k in ["device", "envs_per_worker", "mean_batch", "steps_per_second",
                                                                     "latency_p50_us", "latency_p99_us", "device_utilization",
                                                                     "bare_pool_steps_per_second", "ratio_to_bare_pool"]) + " |")
    aggregates = r.get("aggregates", {})
    solves = [k for k in t if k.endswith("_solve")]
    if solves and not aggregates.get("systems"):
        lines += ["", "## CartPole-v1 to a 100-episode evaluation mean ≥ 475 (not aggregated: see Errors)", "",
                  "| run | solved | median steps | median seconds |", "|---|---|---|---|"]
        for k in solves:
            lines.append(f"| {k} | {t[k]['solved']} | {fmt(t[k].get('median_solve_steps'))} | {fmt(t[k].get('median_solve_seconds'))} |")
    if aggregates.get("systems"):
        ci = lambda e, f=fmt: f"{f(e['iqm'])} [{f(e['ci'][0])}, {f(e['ci'][1])}]" if e else "—"
        lines += ["", "## Learning, aggregated over seeds", "", f"{aggregates['method']}. Unsolved runs enter time to solve at "
                  "their budget (a lower bound).", "",
                  "| system | seeds | solved (≥ 475) | steps to solve, IQM [95% CI] | seconds to solve | best evaluation return |",
                  "|---|---|---|---|---|---|"]
        for key, e in aggregates["systems"].items():
            if "solve_steps" in e:
                lines.append(f"| {e['label']} | {e['seeds']} | {e['solved']} | {ci(e['solve_steps'])} | {ci(e.get('solve_seconds'))} "
                             f"| {ci(e.get('best_return'))} |")
            elif "final_return" in e:
                lines.append(f"| {e['label']} | {e['seeds']} | — | — | — | final {ci(e['final_return'])} |")
        if aggregates.get("ratios"):
            lines += ["", "| ratio | IQM ratio [95% CI] |", "|---|---|"]
            lines += [f"| {k} | {ci(v)} |" for k, v in aggregates["ratios"].items()]
    if r["errors"]:
        lines += ["", "## Errors", ""] + [f"- {k}: {e}" for k, e in r["errors"].items()]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--herd", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tiny", action="store_true", help="a minimal budget that only checks every key appears (CI)")
    parser.add_argument("--rounds", type=int, help="samples of each throughput figure, spread over the run (default 7; 5 with --quick)")
    parser.add_argument("--peers", help="a Python that imports gymnasium, envpool, stable_baselines3 and torch")
    parser.add_argument("--sample-factory", metavar="PYTHON", help="a Python that imports sample_factory: "
                        "its APPO as V-trace's peer (benchmarks/sample_factory_cartpole.py)")
    parser.add_argument("--instructions", metavar="HERD", help="a callgrind-runnable herd (benchmarks/instructions.py): "
                        "count instructions per unit of the CPU-bound single-thread figures with it")
    args = parser.parse_args()
    suite = Suite(args)
    started = time.time()
    suite.machine()
    suite.next_round()
    suite.record("scaling_sweep", suite.scaling)
    suite.next_round()
    suite.record("inference_vs_batch", suite.inference)
    suite.next_round()
    suite.record("learning", lambda: suite.learning() or {"done": True})
    suite.results["tables"].pop("learning", None)
    suite.finish_rounds()
    if args.instructions:
        suite.record("instructions", suite.instructions)
        suite.results["tables"].pop("instructions", None)
    suite.results["seconds"] = time.time() - started
    suite.write()
    print(f"suite: wrote {args.out}/results.json and results.md in {suite.results['seconds']:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
