import HerdTensor

/// One rollout of `T` steps from `B` environments, time-major, as PPO
/// collects it. Shapes (row-major):
///
/// - `observations [T, B, n]`: what the policy saw (normalised if enabled;
///   bytes while they are the environment's u8 pixels);
/// - `actions [T, B, a]`: in the policy's own space (before rescaling);
/// - `logProbabilities [T, B]`, `distributionParameters [T, B, p]`: of the
///   policy that acted (see ``ActionHead/parameterCount``);
/// - `values [T + 1, B]`: v(sₜ); the last row bootstraps after step T − 1;
/// - `rewards [T, B]`: rₜ, including γ·v(final observation) for episodes cut
///   by a time limit (the partial-episode bootstrap of Pardo et al. 2018);
/// - `discounts [T, B]`: γ while the episode continues, 0 where it ended.
public struct Rollout: Sendable {
    public let steps: Int
    public let batchSize: Int
    public let observationSize: Int
    public let actionSize: Int
    public let parameterCount: Int
    public var observations = ObservationRows()
    public var actions: [Float] = []
    public var logProbabilities: [Float] = []
    public var distributionParameters: [Float] = []
    public var values: [Float] = []
    public var rewards: [Float] = []
    public var discounts: [Float] = []

    public init(steps: Int, batchSize: Int, observationSize: Int, head: ActionHead) {
        self.steps = steps
        self.batchSize = batchSize
        self.observationSize = observationSize
        self.actionSize = head.actionSize
        self.parameterCount = head.parameterCount
        let rows = steps * batchSize
        observations.reserveCapacity(rows * observationSize)
        actions.reserveCapacity(rows * actionSize)
        logProbabilities.reserveCapacity(rows)
        distributionParameters.reserveCapacity(rows * parameterCount)
        values.reserveCapacity(rows + batchSize)
        rewards.reserveCapacity(rows)
        discounts.reserveCapacity(rows)
    }

    /// Rows stored so far (`t · B`).
    public var rows: Int { rewards.count }
    /// All `T` steps and the bootstrap values are in.
    public var isComplete: Bool { rows == steps * batchSize && values.count == rows + batchSize }
}
