import Foundation
import HerdTensor

/// One batch of inference requests: rows of the environments that are ready.
public struct InferenceRequest: Sendable {
    public var environmentIDs: [Int]
    /// `[B, observationSize]`, as the pool keeps them (bytes for u8 pixels).
    public var observations: ObservationRows
    /// `[B, actionSize]`: each environment's previous action (zeros at an episode start).
    public var previousActions: [Float]
    /// `[B]`: the reward that came with this observation (0 at an episode start).
    public var previousRewards: [Float]
    /// `[B]`: the observation is the first of an episode (reset recurrent state).
    public var episodeStarts: [Bool]
    /// Each row's recurrent state, as the policy last returned it (empty at an
    /// episode start and for feed-forward policies).
    public var recurrentStates: [[Float]]
}

/// A policy's answer for a request.
public struct InferenceResponse: Sendable {
    /// `[B, actionSize]`, in the environment's action format.
    public var actions: [Float]
    /// `[B, k]`: what the learner needs of the acting policy (V-trace: the
    /// behaviour logits or log-probabilities; R2D2: the Q values).
    public var behaviour: [Float]
    /// Each row's new recurrent state (empty for feed-forward policies).
    public var recurrentStates: [[Float]]

    public init(actions: [Float], behaviour: [Float], recurrentStates: [[Float]] = []) {
        self.actions = actions
        self.behaviour = behaviour
        self.recurrentStates = recurrentStates
    }
}

/// What the inference server acts with. The learner implements it over its
/// network; `infer` is called from the server's thread, so an implementation
/// that shares parameters with a training thread must synchronise (the
/// learner's newest parameters are used from the next call on).
public protocol InferencePolicy: AnyObject {
    func infer(_ request: InferenceRequest) throws -> InferenceResponse
    /// Learner steps taken so far: the parameter version that acts now.
    var version: Int { get }
}

