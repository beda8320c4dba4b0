"""How the PyTorch peers of `herd bench tensor` are timed, as Herd times
itself: a warm-up of a tenth of the iterations, then the median over 5 runs
of the mean time per iteration."""
import statistics
import time


def median_step_us(step, iterations, runs=5):
    """Median over `runs` runs of the mean microseconds per call of `step`."""
    for _ in range(max(iterations // 10, 1)):
        step()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(iterations):
            step()
        samples.append((time.perf_counter() - start) / iterations)
    return statistics.median(samples) * 1e6
