import Foundation
import HerdCore
import HerdTensor

/// One learner batch of `B` unrolls of `T` transitions, time-major (element
/// `(t, b)` of a `[T, B, …]` array at row `t·B + b`). Row `t` holds the
/// observation the actor saw at step `t` and what it did there; `rewards` and
/// `discounts` are those of the transition from step `t` to `t + 1`, and
/// `observations` has one more time row, `T`, for the bootstrap value.
public struct VTraceBatch: Sendable {
    public var steps: Int
    public var batchSize: Int
    public var observationSize: Int
    /// `[T + 1, B, observationSize]` (bytes for u8 pixels).
    public var observations = ObservationRows()
    /// `[T, B, actionSize]`.
    public var actions: [Float] = []
    /// The acting policy's distribution parameters (``PolicyDistribution/parameters``), `[T, B, parameterCount]`.
    public var behaviour: [Float] = []
    /// `[T, B]`, already clipped as the settings ask.
    public var rewards: [Float] = []
    /// `[T, B]`: γ while the episode goes on, 0 where it ended (terminated or truncated).
    public var discounts: [Float] = []
    /// Transitions cut by a time limit, `(row t·B + b, the episode's last observation)`:
    /// the learner adds `γ·V(last observation)` to their reward, so a cut is not taken for a terminal state.
    public var truncations: [(row: Int, observation: ObservationRows)] = []

    public init(steps: Int, batchSize: Int, observationSize: Int) {
        self.steps = steps
        self.batchSize = batchSize
        self.observationSize = observationSize
    }
}
