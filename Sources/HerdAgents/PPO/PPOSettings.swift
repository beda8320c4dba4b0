/// Which policy objective PPO minimises.
public enum PPOObjective: String, Sendable, CaseIterable {
    /// The clipped surrogate (Schulman et al. 2017), today's standard.
    case clip
    /// BatchPPO's adaptive KL penalty with its cutoff term.
    case klPenalty = "kl_penalty"
}

/// PPO hyperparameters. Defaults are the rl-zoo CartPole-v1 values where the
/// two agree with CleanRL's and BatchPPO's usual ones; every config states its own.
public struct PPOSettings: Equatable, Sendable {
    /// Steps collected from each environment per update (the rollout length T).
    public var stepsPerEnvironment = 32
    /// Passes over each rollout.
    public var epochs = 20
    /// Minibatches per epoch (the rollout of T·B rows is split evenly).
    public var minibatches = 1
    public var learningRate: Float = 1e-3
    /// Anneal the learning rate linearly to 0 over the run.
    public var annealLearningRate = true
    public var adamEpsilon: Float = 1e-5
    /// γ.
    public var discount: Float = 0.98
    /// GAE's λ (1 gives Monte-Carlo returns).
    public var lambda: Float = 0.8
    public var objective = PPOObjective.clip
    /// ε of the clipped surrogate.
    public var clipRange: Float = 0.2
    /// Anneal ε linearly to 0 with the learning rate's schedule.
    public var annealClipRange = false
    /// BatchPPO's KL target, initial penalty, cutoff factor and coefficient.
    public var klTarget: Float = 0.01
    public var klInitialPenalty: Float = 1
    public var klCutoffFactor: Float = 2
    public var klCutoffCoefficient: Float = 1000
    /// Weight of the value loss.
    public var valueCoefficient: Float = 0.5
    /// Clip the value change per update to ±this (0: off).
    public var valueClipRange: Float = 0
    /// Weight of the entropy bonus.
    public var entropyCoefficient: Float = 0
    /// Global-norm gradient clip (0: off).
    public var maxGradientNorm: Float = 0.5
    public var normalizeAdvantages = true
    /// Streaming observation normalisation (BatchPPO: centred, scaled, clip ±5).
    public var normalizeObservations = false
    /// Streaming reward scaling (BatchPPO: scaled, not centred, clip ±10).
    public var normalizeRewards = false

    public init() {}
}
