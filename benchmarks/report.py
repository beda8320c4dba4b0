"""Aggregates a suite run's learning results over seeds and draws its plots.

    python3 benchmarks/report.py DIR [--reps N]

Reads DIR/results.json (written by suite.py), adds `aggregates` and the
learning ratios to it, and writes the plots as SVG and PNG into DIR. Needs
rliable and matplotlib (`scripts/setup.sh --python` installs both).

Aggregation follows Agarwal et al. 2021, "Deep Reinforcement Learning at the
Edge of the Statistical Precipice", through their library rliable: the
interquartile mean (IQM: the mean after trimming ⌊n/4⌋ runs from each
end, so the plain mean below 4 runs and the middle 3 of 5) with a 95%
stratified bootstrap confidence interval (percentile method, `--reps`
resamples, NumPy's global generator seeded before each, so the same results
give the same intervals), and performance profiles (the fraction of runs whose best
evaluation return exceeds τ, with its own interval).

A run that never reached the target enters the time-to-solve aggregates at
its whole budget (steps) and its whole run time (seconds): a lower bound on
what solving would have taken, so the aggregate of a system that failed
some seeds is optimistic for it. Each system's `solved` count is beside it.

A ratio "Herd X is N× faster than peer Y" is IQM(Y's seconds) / IQM(X's
seconds); its interval resamples the two systems' runs independently
(rliable's `StratifiedIndependentBootstrap`).
"""
import argparse
import json
import math
import os
import warnings

import numpy as np

# Each learning table of the suite, as readers see it, in one colour each
# (matplotlib's tab10, which stays distinguishable in grey-scale print too).
SYSTEMS = {
    "cartpole_ppo_solve": ("Herd PPO", "#1f77b4"),
    "cartpole_vtrace_solve": ("Herd V-trace", "#2ca02c"),
    "cartpole_r2d2_solve": ("Herd R2D2", "#9467bd"),
    "sb3_ppo_cartpole_solve": ("SB3 PPO", "#ff7f0e"),
    "sb3_dqn_cartpole_solve": ("SB3 DQN", "#8c564b"),
    "sf_appo_cartpole_solve": ("Sample Factory APPO", "#d62728"),
}
# Time-to-solve ratios: each Herd agent against SB3 PPO (the common
# yardstick), R2D2 against the other value-based learner, V-trace against
# the other asynchronous one.
PAIRS = [("cartpole_ppo_solve", "sb3_ppo_cartpole_solve"), ("cartpole_vtrace_solve", "sb3_ppo_cartpole_solve"),
         ("cartpole_r2d2_solve", "sb3_ppo_cartpole_solve"), ("cartpole_r2d2_solve", "sb3_dqn_cartpole_solve"),
         ("cartpole_vtrace_solve", "sf_appo_cartpole_solve")]
MAX_RETURN = 500.0  # CartPole-v1's most: the performance profile's scale


def estimate(point, interval):
    return {"iqm": float(point), "ci": [float(interval[0]), float(interval[1])]}


def reseed():
    """rliable 1.2.0 draws its resamples from NumPy's global generator (the
    `random_state` it takes is not used for them), so each bootstrap starts
    from the same global seed: the same results give the same intervals."""
    np.random.seed(0)


def iqm_with_ci(values, reps):
    """IQM and its 95% stratified bootstrap interval over runs (one task).
    rliable trims ⌊n/4⌋ runs from each end: with fewer than 4 runs the IQM
    is the plain mean."""
    from rliable import library, metrics
    reseed()
    scores = {"x": np.asarray(values, dtype=float).reshape(-1, 1)}
    points, intervals = library.get_interval_estimates(scores, lambda s: np.array([metrics.aggregate_iqm(s)]), reps=reps,
                                                       random_state=np.random.RandomState(0))
    return estimate(points["x"][0], intervals["x"][:, 0])


def ratio_with_ci(ours, theirs, reps):
    """IQM(theirs) / IQM(ours), resampling each side's runs independently
    (ours: a time, so the ratio is how many times faster ours is)."""
    from rliable import library, metrics
    x, y = np.asarray(ours, dtype=float).reshape(-1, 1), np.asarray(theirs, dtype=float).reshape(-1, 1)
    ratio = lambda a, b: metrics.aggregate_iqm(b) / metrics.aggregate_iqm(a)
    reseed()
    bootstrap = library.StratifiedIndependentBootstrap(x, y, random_state=np.random.RandomState(0))
    low, high = bootstrap.conf_int(ratio, reps=reps, size=0.95, method="percentile")
    return estimate(ratio(x, y), [low[0], high[0]])


def run_scores(table):
    """Per run: steps and seconds to solve (censored at the budget) and the best evaluation return."""
    runs = table.get("runs", [])
    budget = table.get("budget_steps") or max([r.get("total_steps") or 0 for r in runs] + [1])
    steps = [r["solved_at_step"] if r.get("solved_at_step") is not None else (r.get("total_steps") or budget) for r in runs]
    seconds = [r["solved_wall_seconds"] if r.get("solved_wall_seconds") is not None else r.get("wall_seconds") for r in runs]
    best = []
    for r, curve in zip(runs, table.get("curves", [[]] * len(runs))):
        b = r.get("evaluation_return_best")
        if b is None and curve:
            b = max(p[2] for p in curve)
        best.append(b)
    return steps, seconds, best


def aggregate(results, reps):
    tables, figures = results["tables"], results["figures"]
    for key in [k for k, f in figures.items() if f.get("statistic") == "IQM ratio"]:
        del figures[key]  # from an earlier aggregation of the same results
    out = {"method": f"rliable: IQM, stratified bootstrap 95% CI (percentile, {reps} resamples; Agarwal et al. 2021)",
           "reps": reps, "systems": {}, "ratios": {}}
    scores = {}
    for key in SYSTEMS:
        table = tables.get(key)
        if not table or not table.get("runs"):
            continue
        steps, seconds, best = run_scores(table)
        entry = {"label": SYSTEMS[key][0], "seeds": len(steps), "solved": table.get("solved"),
                 "solve_steps": iqm_with_ci(steps, reps)}
        if all(s is not None for s in seconds):
            entry["solve_seconds"] = iqm_with_ci(seconds, reps)
            scores[key] = seconds
        if all(b is not None for b in best):
            entry["best_return"] = iqm_with_ci(best, reps)
        out["systems"][key] = entry
    for ours, theirs in PAIRS:
        if ours in scores and theirs in scores:
            r = ratio_with_ci(scores[ours], scores[theirs], reps)
            key = f"{ours}_vs_{theirs}_time"
            out["ratios"][key] = r
            figures[key] = {"unit": "×", "statistic": "IQM ratio", "repeats": len(scores[ours]), "median": r["iqm"],
                            "min": r["ci"][0], "max": r["ci"][1], "runs": [], "of": [ours, theirs]}
    # Training throughput (steps/s while learning): V-trace against the asynchronous peer.
    throughput = {k: [r.get("training_steps_per_second") for r in tables[k]["runs"]] for k in ["cartpole_vtrace_solve", "sf_appo_cartpole_solve"]
                  if tables.get(k, {}).get("runs")}
    if len(throughput) == 2 and all(v is not None for vs in throughput.values() for v in vs):
        r = ratio_with_ci(throughput["sf_appo_cartpole_solve"], throughput["cartpole_vtrace_solve"], reps)
        key = "cartpole_vtrace_vs_sf_appo_training_throughput"
        out["ratios"][key] = r
        figures[key] = {"unit": "×", "statistic": "IQM ratio", "repeats": len(throughput["cartpole_vtrace_solve"]), "median": r["iqm"],
                        "min": r["ci"][0], "max": r["ci"][1], "runs": [], "of": ["cartpole_vtrace_solve", "sf_appo_cartpole_solve"]}
        for k, values in throughput.items():
            out["systems"][k]["training_steps_per_second"] = iqm_with_ci(values, reps)
    pendulum = figures.get("pendulum_ppo_final_return")
    if pendulum and pendulum.get("runs") and all(v is not None for v in pendulum["runs"]):
        out["systems"]["pendulum_ppo_final_return"] = {"label": "Herd PPO, Pendulum final return", "seeds": len(pendulum["runs"]),
                                                       "final_return": iqm_with_ci(pendulum["runs"], reps)}
    profile = performance_profile(tables, reps)
    if profile:
        out["performance_profile"] = profile
    results["aggregates"] = out


def performance_profile(tables, reps):
    from rliable import library
    score_dict = {}
    for key in SYSTEMS:
        if key in tables and tables[key].get("runs"):
            best = run_scores(tables[key])[2]
            if all(b is not None for b in best):
                score_dict[key] = np.asarray(best, dtype=float).reshape(-1, 1) / MAX_RETURN
    if not score_dict:
        return None
    taus = np.linspace(0, 1, 21)
    reseed()
    profiles, intervals = library.create_performance_profile(score_dict, taus, reps=reps)
    return {"tau_return": [float(t * MAX_RETURN) for t in taus],
            "systems": {k: {"fraction": [float(v) for v in profiles[k]],
                            "ci": [[float(v) for v in intervals[k][0]], [float(v) for v in intervals[k][1]]]} for k in profiles}}


# MARK: Plots


def human(value, _position=None):
    """Tick labels people read: 1k, 250k, 1M, 0.5."""
    magnitude = abs(value)
    for size, suffix in [(1e9, "G"), (1e6, "M"), (1e3, "k")]:
        if magnitude >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def setup_axes(ax, xlabel, ylabel, logx=False, logy=False):
    from matplotlib.ticker import FuncFormatter
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(human))
    ax.yaxis.set_major_formatter(FuncFormatter(human))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)


def save(fig, out, name):
    fig.tight_layout()
    for extension in ["svg", "png"]:
        fig.savefig(os.path.join(out, f"{name}.{extension}"), dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)


def step_values(curve, axis, grid):
    """A run's evaluation return at each grid point: its latest evaluation
    at or before it, held after its last (a run stops when it solves); NaN
    before its first evaluation."""
    xs = [p[axis] for p in curve]
    values = []
    for g in grid:
        i = np.searchsorted(xs, g, side="right") - 1
        values.append(curve[i][2] if i >= 0 else math.nan)
    return values


def band(curves, axis, grid, reps):
    """Per grid point, the IQM over runs and its 95% CI (rliable); points
    where some run has not been evaluated yet are left out."""
    import scipy.stats
    from rliable import library
    matrix = np.array([step_values(c, axis, grid) for c in curves], dtype=float)
    keep = ~np.isnan(matrix).any(axis=0)
    grid, matrix = np.asarray(grid)[keep], matrix[:, keep]
    if matrix.shape[1] == 0:
        return grid, [], [], []
    scores = {"x": matrix[:, None, :]}
    # metrics.aggregate_iqm of each point's runs, all points at once.
    per_point = lambda s: scipy.stats.trim_mean(s.reshape(s.shape[0], -1), proportiontocut=0.25, axis=0)
    reseed()
    points, intervals = library.get_interval_estimates(scores, per_point, reps=reps, random_state=np.random.RandomState(0))
    return grid, points["x"], intervals["x"][0], intervals["x"][1]


def learning_plots(results, out, reps):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tables = results["tables"]
    systems = [(k, tables[k]["curves"]) for k in SYSTEMS if k in tables and any(tables[k].get("curves") or [])]
    if not systems:
        return []
    written = []
    for axis, name, label, logx in [(0, "learning_steps", "environment steps", False),
                                    (1, "learning_wall", "wall-clock seconds (log)", True)]:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for key, curves in systems:
            curves = [c for c in curves if c]
            label_text, colour = SYSTEMS[key]
            if logx:
                low = min(c[0][1] for c in curves)
                high = max(c[-1][1] for c in curves)
                grid = np.geomspace(max(low, 1e-3), max(high, low * 1.01, 1e-3), 60)
            else:
                grid = sorted({p[0] for c in curves for p in c})
            xs, mid, lo, hi = band(curves, axis, grid, reps)
            if len(mid) == 0:
                continue
            ax.plot(xs, mid, color=colour, label=f"{label_text} ({len(curves)} seeds)", linewidth=2,
                    drawstyle="steps-post", marker="o" if len(mid) == 1 else None)
            ax.fill_between(xs, lo, hi, color=colour, alpha=0.2, step="post", linewidth=0)
        ax.axhline(475, color="grey", linestyle=":", linewidth=1)
        setup_axes(ax, label, "evaluation return (IQM, 95% CI)", logx=logx)
        ax.set_title("CartPole-v1: 100-episode evaluation return")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
        save(fig, out, name)
        written.append(name)
    profile = results.get("aggregates", {}).get("performance_profile")
    if profile:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        taus = profile["tau_return"]
        for key, p in profile["systems"].items():
            label_text, colour = SYSTEMS[key]
            ax.plot(taus, p["fraction"], color=colour, label=label_text, linewidth=2)
            ax.fill_between(taus, p["ci"][0], p["ci"][1], color=colour, alpha=0.2, linewidth=0)
        setup_axes(ax, "best evaluation return τ", "fraction of runs with return > τ")
        ax.set_title("CartPole-v1: performance profile (95% CI)")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
        save(fig, out, "performance_profile")
        written.append("performance_profile")
    return written


def throughput_plots(results, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tables, written = results["tables"], []
    colours = plt.get_cmap("tab10").colors
    if tables.get("scaling_sweep"):
        rows = tables["scaling_sweep"]
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for i, w in enumerate(sorted({r["workers"] for r in rows})):
            mine = sorted((r["envs_per_worker"], r["steps_per_second"]) for r in rows if r["workers"] == w)
            ax.plot([p[0] for p in mine], [p[1] for p in mine], color=colours[i], marker="o", linewidth=2,
                    label=f"{w} worker{'s' if w > 1 else ''}")
        setup_axes(ax, "environments per worker (log)", "steps/s (log)", logx=True, logy=True)
        ax.set_title("Process pool scaling, CartPole-v1, synchronous")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
        save(fig, out, "scaling")
        written.append("scaling")
    if tables.get("inference_vs_batch"):
        rows = tables["inference_vs_batch"]
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for i, device in enumerate(sorted({r["device"] for r in rows})):
            mine = sorted((r["mean_batch"], r["latency_p50_us"], r["latency_p99_us"]) for r in rows
                          if r["device"] == device and None not in (r.get("mean_batch"), r.get("latency_p50_us"), r.get("latency_p99_us")))
            xs = [p[0] for p in mine]
            ax.plot(xs, [p[1] for p in mine], color=colours[i], marker="o", linewidth=2, label=f"{device} p50")
            ax.plot(xs, [p[2] for p in mine], color=colours[i], marker="s", linewidth=1.5, linestyle="--", label=f"{device} p99")
        setup_axes(ax, "mean batch (environments, log)", "latency µs (log)", logx=True, logy=True)
        ax.set_title("Central inference: batch to actions")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
        save(fig, out, "latency_vs_batch")
        written.append("latency_vs_batch")
    return written


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--reps", type=int, default=2000, help="bootstrap resamples (default 2000)")
    args = parser.parse_args()
    # arch (under rliable) warns that RandomState is deprecated; the fixed state is the point.
    warnings.filterwarnings("ignore", category=FutureWarning)
    path = os.path.join(args.dir, "results.json")
    results = json.load(open(path))
    aggregate(results, args.reps)
    write(results, path)
    # Each figure on its own: one that fails is recorded, the others are drawn.
    plots, failed = [], {}
    for name, draw in [("throughput", lambda: throughput_plots(results, args.dir)),
                       ("learning", lambda: learning_plots(results, args.dir, args.reps))]:
        try:
            plots += draw()
        except Exception as error:  # noqa: BLE001 - recorded in results.json
            failed[name] = f"{type(error).__name__}: {error}"
    results["aggregates"]["plots"] = plots
    for name, error in failed.items():
        results.setdefault("errors", {})[f"plots ({name})"] = error
    write(results, path)
    print(json.dumps({"plots": plots, "systems": sorted(results["aggregates"]["systems"]), "failed": failed}))


def write(results, path):
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1, default=str)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
