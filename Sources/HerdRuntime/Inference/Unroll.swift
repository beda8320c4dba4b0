import Foundation
import HerdTensor

/// One step of an unroll, in SEED RL's layout: what the environment returned
/// (`observation`, and the `reward` and flags of the transition that led to
/// it) and what the policy then did there (`action`, `behaviour`). When an
/// episode ends, `observation` is already the next episode's first and the
/// ended one's last is `finalObservation`.
public struct UnrollStep: Sendable {
    public var observation: ObservationRows
    public var reward: Float
    public var terminated: Bool
    public var truncated: Bool
    public var finalObservation: ObservationRows?
    public var action: [Float]
    public var behaviour: [Float]
    /// ``InferencePolicy/version`` when the action was chosen.
    public var version: Int
    /// The recurrent state the policy acted from (empty for feed-forward policies).
    public var recurrentState: [Float]
}

/// `T + overlap` steps of one environment (``UnrollStore``).
public struct Unroll: Sendable {
    public var environment: Int
    public var steps: [UnrollStep]
    /// The environment's first unroll, or its first after a discard: steps
    /// before it are gone (a learner that keeps per-environment history,
    /// like R2D2's sequence builder, starts over).
    public var fresh = false
    /// The oldest parameter version that acted in it: the learner's policy lag
    /// is its own version minus this when it trains on the unroll.
    public var oldestVersion: Int { steps.map(\.version).min() ?? 0 }
}

