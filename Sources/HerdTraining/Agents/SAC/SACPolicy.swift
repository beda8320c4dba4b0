import HerdAgents
import HerdCore
import HerdTensor

/// SAC's trained policy: the actor, acting with `tanh(μ(s))` when
/// deterministic or sampling the squashed Gaussian, its [−1, 1] actions
/// mapped to the environments' bounds.
public struct SACPolicy: TrainedPolicy {
    public var actor: SACActor
    public var mapping: ActionMapping

    public func acting(deterministic: Bool, seed: UInt64, device: Device) -> any ActingPolicy {
        SACActing(policy: self, deterministic: deterministic, random: RandomGenerator(seed: seed, stream: 7), device: device)
    }
}

final class SACActing: ActingPolicy {
    let policy: SACPolicy
    let deterministic: Bool
    var random: RandomGenerator
    let device: Device

    init(policy: SACPolicy, deterministic: Bool, random: RandomGenerator, device: Device) {
        self.policy = policy
        self.deterministic = deterministic
        self.random = random
        self.device = device
    }

    var actionSize: Int { policy.actor.actionSize }

    func act(_ rows: ActingRows) throws -> [Float] {
        let actions: [Float] = try withoutGradients {
            let x = try Tensor(rows.observations, shape: [rows.environments.count, rows.observationSize]).to(device)
            return try policy.actor.act(x, deterministic: deterministic, using: &random).actions.hostScalars()
        }
        return policy.mapping.environmentActions(actions)
    }
}
