import HerdTensor
import HerdTransport

/// One batch from the pool, in environment-id order within each worker.
/// Shapes: `observations [B, observationSize]`, `rewards [B]`,
/// `terminated [B]`, `truncated [B]`, `environmentIDs [B]`.
public struct Batch: Equatable, Sendable {
    public var environmentIDs: [Int] = []
    /// Bytes when the workers send u8 observations, floats otherwise (bf16 is widened).
    public var observations = ObservationRows()
    public var rewards: [Double] = []
    public var terminated: [Bool] = []
    public var truncated: [Bool] = []
    /// The last observation of each episode that ended in this batch, by
    /// environment id (the observation row then holds the next episode's first).
    public var finalObservations: [Int: ObservationRows] = [:]
    /// Environments whose worker process was replaced since their previous
    /// results: their rows are the truncation the replacement reports, and
    /// per-environment state kept for them (unrolls, recurrent state) belongs
    /// to the lost process. A remote worker that vanished names its
    /// environments here once, in a batch without their rows.
    public var restartedEnvironments: Set<Int> = []

    public init() {}

    public var count: Int { environmentIDs.count }
}

extension ObservationBlock {
    /// The block as the learner keeps it: u8 stays bytes, f32 and bf16 become floats.
    public var rows: ObservationRows {
        dtype == .u8 ? ObservationRows(bytes: bytes) : ObservationRows(floats)
    }

    /// Appends the block to `rows` (u8 as bytes, f32 and bf16 as floats).
    public func append(to rows: inout ObservationRows) {
        if dtype == .u8 {
            rows.append(ObservationRows(bytes: bytes))
        } else {
            rows.appendFloats { appendFloats(to: &$0) }
        }
    }
}
