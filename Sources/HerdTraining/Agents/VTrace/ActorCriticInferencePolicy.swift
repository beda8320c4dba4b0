import Foundation
import HerdAgents
import HerdCore
import HerdRuntime
import HerdTensor

/// Central inference with an ``ActorCritic``: the server's thread samples
/// actions from its own copy of the network (``PublishedNetwork``), to which
/// the learner ``publish(_:version:)``es its parameters after every step.
///
/// The behaviour row it reports per environment is a ``BehaviourRow``.
public final class ActorCriticInferencePolicy: InferencePolicy, @unchecked Sendable {
    private let copy: PublishedNetwork<ActorCritic>
    private let device: Device
    private let observationSize: Int
    /// Used inside `copy.read`, under its lock.
    private var random: RandomGenerator
    /// Maps policy actions to what the environments take (Box bounds).
    private let environmentActions: ([Float]) -> [Float]

    public init(network: ActorCritic, observationSize: Int, device: Device, seed: UInt64,
                environmentActions: @escaping ([Float]) -> [Float] = { $0 }) throws {
        copy = try PublishedNetwork(network, device: device)
        self.device = device
        self.observationSize = observationSize
        self.environmentActions = environmentActions
        random = RandomGenerator(seed: seed, stream: 7)
    }

    public var version: Int { copy.version }

    /// Copies `learner`'s parameters in; inference uses them from its next batch.
    public func publish(_ learner: ActorCritic, version: Int) throws { try copy.publish(learner, version: version) }

    public func infer(_ request: InferenceRequest) throws -> InferenceResponse {
        try copy.read { network in
            let rows = request.environmentIDs.count
            return try withoutGradients {
                let policy = network.policy(try request.observations.tensor(shape: [rows, observationSize], on: device))
                let actions = try policy.sample(using: &random)
                let parameters = try policy.parameters.hostScalars()
                try device.synchronize()
                let behaviour = BehaviourRow.encode(parameters: parameters, actions: actions, rows: rows, head: network.head)
                return InferenceResponse(actions: environmentActions(actions), behaviour: behaviour)
            }
        }
    }
}
