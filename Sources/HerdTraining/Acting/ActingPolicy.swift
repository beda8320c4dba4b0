import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// The rows an ``ActingPolicy`` answers: the environments still running
/// an evaluation episode. Shapes: `observations [rows, observationSize]`,
/// `episodeStarts [rows]`, `previousRewards [rows]` (0 at a start).
public struct ActingRows {
    /// Which environments (of ``environmentCount``) the rows are.
    public var environments: [Int]
    public var observations: [Float]
    public var episodeStarts: [Bool]
    public var previousRewards: [Float]
    public var environmentCount: Int
    public var observationSize: Int

    public init(environments: [Int], observations: [Float], episodeStarts: [Bool], previousRewards: [Float],
                environmentCount: Int, observationSize: Int) {
        self.environments = environments
        self.observations = observations
        self.episodeStarts = episodeStarts
        self.previousRewards = previousRewards
        self.environmentCount = environmentCount
        self.observationSize = observationSize
    }
}

/// A policy acting in environments outside training (evaluation, and the
/// future export): it keeps what it needs across calls (recurrent state,
/// its sampling generator).
public protocol ActingPolicy: AnyObject {
    /// Values per action row, in the environments' format.
    var actionSize: Int { get }
    /// Actions `[rows, actionSize]` in the environments' format.
    func act(_ rows: ActingRows) throws -> [Float]
}

/// A trained agent's acting network (with what it needs, e.g. observation
/// statistics), as evaluation and `herd eval` use it.
public protocol TrainedPolicy {
    /// A fresh acting policy: the policy's mode when `deterministic` where
    /// it has one, else sampling from a generator seeded from `seed`.
    func acting(deterministic: Bool, seed: UInt64, device: Device) -> any ActingPolicy
}
