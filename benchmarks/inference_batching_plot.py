"""Plots benchmarks/inference_batching.sh's points: one panel each for
environment steps/s, latency p50, the simulated device's modelled time per
environment step and its utilisation, against the inference batch size, one
line per device. Usage: inference_batching_plot.py RESULTS.jsonl OUT_STEM
(writes OUT_STEM.svg and OUT_STEM.png)."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, NullFormatter


def human(x, _=None):
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:g}{suffix}"
    return f"{x:g}"


points = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
devices = list(dict.fromkeys(p["device"] for p in points))
panels = [
    ("steps_per_second", "environment steps/s (host)", lambda v: v, False),
    ("latency_p50_us", "latency p50 (ms)", lambda v: v / 1000, False),
    ("device_seconds_per_step", "simulated device time per step (µs)", lambda v: v * 1e6, True),
    ("device_utilization", "simulated device utilisation", lambda v: v, False),
]
fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), constrained_layout=True)
colours = plt.get_cmap("tab10")
for ax, (key, label, scale, log) in zip(axes, panels):
    for i, device in enumerate(devices):
        rows = sorted((p for p in points if p["device"] == device), key=lambda p: p["max_batch"])
        if key.startswith("device_") and device == "cpu":
            continue  # the host has no modelled device time
        ax.plot([p["mean_batch"] for p in rows], [scale(p[key]) for p in rows], marker="o",
                color=colours(i), label=device)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(human))
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_ylim(bottom=0)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(human))
    ax.set_xlabel("mean inference batch (environments)")
    ax.set_title(label, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
axes[0].legend(title="device", fontsize=8)
batches = sorted({p["max_batch"] for p in points})
missing = []
for device in devices:
    have = {p["max_batch"] for p in points if p["device"] == device}
    gaps = [str(b) for b in batches if b not in have]
    if gaps:
        missing.append(f"{device}: no point at batch {', '.join(gaps)} (the run failed; the script printed why)")
if missing:
    fig.text(0.5, -0.02, "; ".join(missing), ha="center", va="top", fontsize=8)
env = points[0]["env"].split(":")[-1] if points else ""
fig.suptitle(f"Central inference, Nature torso, {env}: 2 workers × B environments, batches of B", fontsize=11)
for ext in ("svg", "png"):
    fig.savefig(f"{sys.argv[2]}.{ext}", dpi=90, bbox_inches="tight")
print(f"wrote {sys.argv[2]}.svg and .png")
