"""Prints the median time to a target of Herd's and SB3's seeds and their
ratio, for the *_vs_sb3.sh scripts: `solve_ratio.py WHAT "HERD_TIMES" "SB3_TIMES"`
(space-separated seconds; `None` for a seed that did not get there)."""
import statistics
import sys


def parse(text):
    return [float(x) for x in text.split() if x != "None"]


what, herd, sb3 = sys.argv[1], parse(sys.argv[2]), parse(sys.argv[3])
h = statistics.median(herd) if herd else float("nan")
s = statistics.median(sb3) if sb3 else float("nan")
print(f"median time {what}: herd {h:.2f} s ({len(herd)} solved), sb3 {s:.2f} s ({len(sb3)} solved); ratio sb3/herd {s / h:.1f}x")
