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

/// PPO's and V-trace's trained policy: an ``ActorCritic``, PPO's frozen
/// observation normaliser, and the mapping of its actions to the
/// environments' bounds.
public struct ActorCriticPolicy: TrainedPolicy {
    public var network: ActorCritic
    public var normalizer: StreamingNormalizer?
    public var mapping: ActionMapping

    public init(network: ActorCritic, normalizer: StreamingNormalizer?, mapping: ActionMapping) {
        self.network = network
        self.normalizer = normalizer
        self.mapping = mapping
    }

    public func acting(deterministic: Bool, seed: UInt64, device: Device) -> any ActingPolicy {
        ActorCriticActing(self, deterministic: deterministic, random: RandomGenerator(seed: seed, stream: 7), device: device)
    }
}

final class ActorCriticActing: ActingPolicy {
    let policy: ActorCriticPolicy
    let deterministic: Bool
    var random: RandomGenerator
    let device: Device

    init(_ policy: ActorCriticPolicy, deterministic: Bool, random: RandomGenerator, device: Device) {
        self.policy = policy
        self.deterministic = deterministic
        self.random = random
        self.device = device
    }

    var actionSize: Int { policy.network.head.actionSize }

    func act(_ rows: ActingRows) throws -> [Float] {
        let count = rows.environments.count, size = rows.observationSize
        var input = rows.observations
        if let normalizer = policy.normalizer {
            input.withUnsafeMutableBufferPointer { buffer in
                for row in 0..<count {
                    normalizer.transform(UnsafeMutableBufferPointer(rebasing: buffer[(row * size)..<((row + 1) * size)]))
                }
            }
        }
        let actions: [Float] = try withoutGradients {
            let distribution = policy.network(try Tensor(input, shape: [count, size]).to(device)).policy
            return deterministic ? try distribution.mode() : try distribution.sample(using: &random)
        }
        return policy.mapping.environmentActions(actions)
    }
}
