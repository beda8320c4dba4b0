/// One batch from the pool, in environment-id order within each worker.
/// Shapes: `observations [B, observationSize]`, `rewards [B]`,
/// `terminated [B]`, `truncated [B]`, `environmentIDs [B]`.
public struct Batch: Equatable, Sendable {
    public var environmentIDs: [Int] = []
    public var observations: [Float] = []
    public var rewards: [Double] = []
    public var terminated: [Bool] = []
    public var truncated: [Bool] = []
    /// The last observation of each episode that ended in this batch, by
    /// environment id (the observation row then holds the next episode's first).
    public var finalObservations: [Int: [Float]] = [:]
    /// Environments whose worker process was replaced since their previous
    /// results: their rows are the truncation the replacement reports, and
    /// per-environment state kept for them (unrolls, recurrent state) belongs
    /// to the lost process. A remote worker that vanished names its
    /// environments here once, in a batch without their rows.
    public var restartedEnvironments: Set<Int> = []

    public init() {}

    public var count: Int { environmentIDs.count }
}
