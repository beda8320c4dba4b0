/// Soft Actor-Critic hyperparameters (Haarnoja et al. 2018, arXiv 1812.05905).
/// Defaults are Stable-Baselines3's `SAC` defaults (with its `MlpPolicy`:
/// two ReLU layers of 256, log σ clamped to [−20, 2]), which are also the
/// paper's table 1 values where the two overlap (lr 3·10⁻⁴, batch 256,
/// γ 0.99, τ 0.005, replay 10⁶); configs state their own.
///
/// Config keys (snake_case, SB3's names) map to these camelCase properties
/// in the trainer's `ConfigSection` description, as for the other agents'
/// settings; `Codable` is synthesised with the property names as keys.
public struct SACSettings: Codable, Equatable, Sendable {
    /// `learning_rate`: Adam's step size, one for the actor, the critics and
    /// α (SB3 uses one learning rate for all three optimisers).
    public var learningRate: Float = 3e-4
    /// Adam's ε (PyTorch's default, which SB3 keeps).
    public var adamEpsilon: Float = 1e-8
    /// `buffer_size`: transitions the replay holds; the oldest are
    /// overwritten beyond it (FIFO).
    public var bufferSize = 1_000_000
    /// `learning_starts`: environment steps (summed over environments)
    /// collected before the first update. SB3 acts uniformly at random over
    /// the action space until then.
    public var learningStarts = 100
    /// `batch_size`: transitions sampled (uniformly, with replacement) per
    /// gradient step.
    public var batchSize = 256
    /// `tau`: Polyak coefficient τ of the target networks,
    /// `θ̄ ← (1 − τ)θ̄ + τθ`.
    public var tau: Float = 0.005
    /// `gamma`: discount γ.
    public var discount: Float = 0.99
    /// `train_freq`: steps of each environment between rounds of updates
    /// (SB3 counts vectorised steps: with B environments a round follows
    /// every `trainFrequency·B` transitions).
    public var trainFrequency = 1
    /// `gradient_steps`: updates per round (SB3's −1, "as many as
    /// transitions collected", is not supported: at least 1).
    public var gradientSteps = 1
    /// `ent_coef`: a fixed temperature α, or `nil` for `"auto"`: α is learned
    /// to keep the policy's entropy near ``targetEntropy`` (Haarnoja et al.
    /// 2018, §5).
    public var entropyCoefficient: Double? = nil
    /// The initial α when it is learned (SB3's `"auto"` starts at 1;
    /// `"auto_0.1"` would be 0.1). Ignored for a fixed α.
    public var initialEntropyCoefficient = 1.0
    /// `target_entropy`: H̄ for the learned α; `nil` for `"auto"`, −dim(A).
    public var targetEntropy: Double? = nil
    /// `net_arch`: hidden widths of the actor's torso and of each Q network
    /// (separate networks, ReLU between layers).
    public var hiddenSizes = [256, 256]
    /// SB3's `LOG_STD_MIN`: the actor's log σ head is clamped below at this.
    public var logStdMin: Float = -20
    /// SB3's `LOG_STD_MAX`: the actor's log σ head is clamped above at this.
    public var logStdMax: Float = 2
    /// `target_update_interval`: updates between Polyak steps of the
    /// target networks (1: after every update).
    public var targetUpdateInterval = 1
    /// `use_sde`: explore with generalized state-dependent noise (gSDE;
    /// Raffin et al. 2022) instead of a state-dependent σ head. rl-zoo's
    /// MountainCarContinuous config needs it: its noise is smooth across
    /// steps, which plain SAC's is not.
    public var useSDE = false
    /// `log_std_init`: gSDE's initial log σ (rl-zoo's MountainCarContinuous: −3.67).
    public var logStdInit: Float = -3
    /// `sde_sample_freq`: acting steps between new gSDE noise matrices; −1:
    /// a new one at every round of updates (every `train_freq` steps), SB3's default.
    public var sdeSampleFrequency = -1
    /// `clip_mean`: with gSDE, μ(s) is clamped to ±this (SB3's default 2).
    public var clipMean: Float = 2

    public init() {}
}
