import CCallgrind

/// Labels a benchmark's measured region for callgrind, so that one run of
/// `herd bench` under `valgrind --tool=callgrind` (benchmarks/instructions.py)
/// gives each figure's instructions per unit: the counters are zeroed as the
/// region starts and dumped as it ends, labelled `herd:FIGURE:UNITS`. The
/// instruction count of the same binary on the same inputs does not depend
/// on what else the machine is doing, unlike its seconds.
///
/// Outside valgrind this costs a few instructions per region (regions wrap
/// whole timed loops, never one iteration).
/// Without valgrind's headers at build time the regions are not marked,
/// and instructions.py says so.
public enum InstructionCount {
    /// Runs `body` as the region of `figure`, which does `units` units of
    /// work (iterations, steps).
    public static func region<R>(_ figure: String, units: Int, _ body: () throws -> R) rethrows -> R {
        herd_callgrind_zero()
        let result = try body()
        herd_callgrind_dump("herd:\(figure):\(units)")
        return result
    }
}
