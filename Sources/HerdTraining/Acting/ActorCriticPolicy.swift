import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

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
