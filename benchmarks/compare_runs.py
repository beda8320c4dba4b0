#!/usr/bin/env python3
"""Compares two benchmark-suite runs (the stability check):

    python3 benchmarks/compare_runs.py RUN_A RUN_B [--ratio-limit 0.10]
        [--instructions-limit 0.01] [--wall-clock-limit L]

RUN_A and RUN_B are directories holding results.json (benchmarks/run.sh
--out). For every figure both runs have, it prints both medians, the
difference relative to the smaller one, and each run's own spread
((max - min) / median over its repeats). Judged are the figures the host
cannot move: instruction counts (unit instructions/…, from
benchmarks/instructions.py) within --instructions-limit, and ratios (unit
×: Herd against a peer, or two of Herd's figures, measured in the same
run) within --ratio-limit; a learning ratio (an IQM ratio over seeds, with
its 95% interval) agrees when the two runs' intervals overlap. Wall-clock figures (steps/s, GFLOP/s, µs) drift
with the shared host by 15-25% within minutes: they are printed for
information, beside the host probe (single-thread in-process CartPole),
and judged only when --wall-clock-limit is given. Exits 1 when a judged
figure is outside its limit, and writes the table as markdown to
RUN_B/stability.md.
"""
import argparse, json, os, sys

parser = argparse.ArgumentParser()
parser.add_argument("a")
parser.add_argument("b")
parser.add_argument("--ratio-limit", type=float, default=0.10)
parser.add_argument("--instructions-limit", type=float, default=0.01)
parser.add_argument("--wall-clock-limit", "--limit", type=float, default=None,
                    help="also judge wall-clock figures (steps/s, GFLOP/s, µs of a step) within this")
args = parser.parse_args()


def figures(run):
    with open(os.path.join(run, "results.json")) as f:
        return json.load(f)["figures"]


def spread(figure):
    runs = figure.get("runs") or []
    return (max(runs) - min(runs)) / abs(figure["median"]) if len(runs) > 1 and figure["median"] else 0.0


a, b = figures(args.a), figures(args.b)
rows, outside = [], []
for key in sorted(set(a) & set(b)):
    fa, fb = a[key], b[key]
    ma, mb = fa["median"], fb["median"]
    if ma is None or mb is None:
        continue
    unit = fa["unit"]
    # Rates, and the per-step times of training steps (their inverse).
    wall_clock = unit in ("steps/s", "GFLOP/s") or key.endswith("_step_us")
    limit = (args.instructions_limit if unit.startswith("instructions/") else args.ratio_limit if unit == "×"
             else args.wall_clock_limit if wall_clock else None)
    smaller = min(abs(ma), abs(mb))
    difference = abs(ma - mb) / smaller if smaller else 0.0
    verdict = "info" if limit is None else f"ok (≤ {limit:.0%})" if difference <= limit else f"OUTSIDE {limit:.0%}"
    if fa.get("statistic") == "IQM ratio" and None not in (fa.get("min"), fa.get("max"), fb.get("min"), fb.get("max")):
        # A learning ratio over a few seeds: a sample, whose 95% interval is
        # typically ±30-50% wide. Two runs agree when their intervals overlap.
        overlap = fa["min"] <= fb["max"] and fb["min"] <= fa["max"]
        verdict = "ok (intervals overlap)" if overlap else "OUTSIDE (intervals apart)"
    if verdict.startswith("OUTSIDE"):
        outside.append(key)
    rows.append(f"| {key} | {fa['unit']} | {ma:,.4g} | {mb:,.4g} | {difference * 100:.1f}% | "
                f"{spread(fa) * 100:.0f}% / {spread(fb) * 100:.0f}% | {verdict} |")
table = "\n".join(["| figure | unit | run A median | run B median | difference | spread A / B | verdict |",
                   "|---|---|---|---|---|---|---|"] + rows)
print(table)
# One thread of pure computation, with no processes or sockets: its change
# is how much the machine itself changed between the runs.
host = ""
if "env_in_process_cartpole" in a and "env_in_process_cartpole" in b:
    ha, hb = a["env_in_process_cartpole"]["median"], b["env_in_process_cartpole"]["median"]
    host = (f"host: single-thread in-process CartPole moved {abs(ha - hb) / min(ha, hb):.1%} between the runs "
            f"(spread within them {spread(a['env_in_process_cartpole']):.0%} / {spread(b['env_in_process_cartpole']):.0%})")
    print(host)
with open(os.path.join(args.b, "stability.md"), "w") as f:
    f.write(f"# Stability: {args.a} against {args.b}\n\n{table}\n" + (f"\n{host}\n" if host else ""))
if outside:
    print(f"outside their limits: {', '.join(outside)}")
    sys.exit(1)
print("every judged figure within its limit (instruction counts, ratios"
      + (", wall-clock" if args.wall_clock_limit is not None else "; wall-clock for information") + ")")
