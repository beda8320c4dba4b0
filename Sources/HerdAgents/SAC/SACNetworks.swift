import Foundation
import HerdCore
import HerdTensor

/// SAC's policy over flat observations `[B, n]` (Haarnoja et al. 2018, §4,
/// appendix C; SB3's `sac.policies.Actor`): an MLP torso with ReLU, then two
/// linear heads for the mean μ(s) and log σ(s) of a Gaussian over `u`,
/// log σ clamped to `[logStdMin, logStdMax]`; the action is `a = tanh(u)`.
///
/// Actions are in [−1, 1]ᵈ. The caller rescales them to the environment's
/// Box bounds (`RescaleAction` in HerdEnvironments, or
/// `low + (a + 1)·(high − low)/2`) and stores the [−1, 1] action in the
/// replay: the Q networks see the policy's own space.
///
/// With generalized state-dependent exploration (gSDE; Raffin et al. 2022,
/// "Smooth Exploration for Robotic Reinforcement Learning", as SB3's
/// `StateDependentNoiseDistribution` with `full_std`): the noise is
/// `z(s)·(σ ⊙ E)`, with `z(s)` the torso's last features `[B, F]`, `σ =
/// exp(log_std)` a learned `[F, d]` matrix, and `E ~ 𝒩(0, 1)^{F×d}` drawn
/// once per batch and held for acting until ``resetNoise(using:)``. The
/// pre-tanh action is then Gaussian with mean μ(s) (clamped to
/// ±`clipMean`) and variance `Σᵢ zᵢ² σᵢⱼ²` per action dimension.
///
/// Weights are Glorot-uniform, biases zero (SB3 keeps PyTorch's default
/// initialisation for SAC, which has no orthogonal option).
/// Parameters: `torso.0.weight`, `torso.0.bias`, …, `mean_head.weight`,
/// `mean_head.bias`, and `log_std_head.weight`, `log_std_head.bias` or,
/// with gSDE, `log_std` `[F, d]`.
public final class SACActor: Layer {
    public let observationSize: Int
    public let actionSize: Int
    public let logStdMin: Float
    public let logStdMax: Float
    let torso: MLP?
    let meanHead: Linear
    let logStdHead: Linear?
    /// gSDE's log σ `[F, d]` (nil without gSDE).
    var sdeLogStd: Tensor?
    /// gSDE: μ(s) is clamped to ±this.
    public let clipMean: Float
    /// Features `F` of the torso's last layer.
    public let featureSize: Int
    /// gSDE: the noise matrix `E` acting uses until the next reset.
    private var actingNoise: Tensor?

    /// With no hidden sizes the heads read the observations directly.
    /// `stateDependentNoise` switches on gSDE with σ starting at `exp(logStdInit)`.
    public init(observationSize: Int, actionSize: Int, hiddenSizes: [Int] = [256, 256],
                logStdMin: Float = -20, logStdMax: Float = 2, stateDependentNoise: Bool = false, logStdInit: Float = -3,
                clipMean: Float = 2, using rng: inout RandomGenerator) {
        require(observationSize > 0 && actionSize > 0, "SACActor: observation size \(observationSize) and action size \(actionSize) must be positive")
        require(hiddenSizes.allSatisfy { $0 > 0 }, "SACActor: hidden sizes \(hiddenSizes) must be positive")
        require(logStdMin < logStdMax, "SACActor: log σ bounds [\(logStdMin), \(logStdMax)] are empty")
        self.observationSize = observationSize
        self.actionSize = actionSize
        self.logStdMin = logStdMin
        self.logStdMax = logStdMax
        torso = hiddenSizes.isEmpty ? nil
            : MLP(sizes: [observationSize] + hiddenSizes, activation: .relu, outputActivation: .relu, using: &rng)
        let features = hiddenSizes.last ?? observationSize
        featureSize = features
        self.clipMean = clipMean
        meanHead = Linear(features, actionSize, using: &rng)
        if stateDependentNoise {
            logStdHead = nil
            let logStd = Tensor([Float](repeating: logStdInit, count: features * actionSize), shape: [features, actionSize])
            logStd.requiresGradient = true
            sdeLogStd = logStd
        } else {
            logStdHead = Linear(features, actionSize, using: &rng)
            sdeLogStd = nil
        }
    }

    /// Whether the actor explores with gSDE.
    public var usesStateDependentNoise: Bool { sdeLogStd != nil }

    /// μ(s) and log σ, each `[B, d]`, for observations `[B, n]`: the clamped
    /// head without gSDE; with it, the log of `√(Σᵢ zᵢ² σᵢⱼ² + 10⁻⁶)`.
    public func callAsFunction(_ observations: Tensor) -> (mean: Tensor, logStd: Tensor) {
        let (mean, logStd, _) = distribution(observations)
        return (mean, logStd)
    }

    /// μ(s), log σ(s) and the features `z(s)`.
    private func distribution(_ observations: Tensor) -> (mean: Tensor, logStd: Tensor, features: Tensor) {
        let features = torso.map { $0(observations) } ?? observations
        guard let sdeLogStd else {
            return (meanHead(features), logStdHead!(features).clamped(logStdMin, logStdMax), features)
        }
        let variance = Tensor.matmul(features.square(), (sdeLogStd * 2).exp()) + 1e-6
        return (meanHead(features).clamped(-clipMean, clipMean), variance.log() * 0.5, features)
    }

    /// gSDE: draws a new noise matrix `E` for acting.
    public func resetNoise(using rng: inout RandomGenerator) throws {
        guard let sdeLogStd else { return }
        actingNoise = try Tensor.randomNormal([featureSize, actionSize], using: &rng).to(sdeLogStd.device)
    }

    /// A pre-tanh sample: `μ + σ⊙ε` without gSDE; `μ + z·(σ ⊙ E)` with it.
    private func preTanhSample(_ mean: Tensor, _ logStd: Tensor, features: Tensor, noise: Tensor?,
                               using rng: inout RandomGenerator) throws -> Tensor {
        guard let sdeLogStd else { return DiagonalGaussian(mean: mean, logStd: logStd).sample(using: &rng) }
        let e = try noise ?? Tensor.randomNormal([featureSize, actionSize], using: &rng).to(sdeLogStd.device)
        return mean + Tensor.matmul(features, sdeLogStd.exp() * e)
    }

    /// A reparameterised sample `a = tanh(μ + σ⊙ε)`, `ε ~ 𝒩(0, I)` from `rng`,
    /// `[B, d]`, and its `log π(a|s)`, `[B]`
    /// (``squashedGaussianLogProbability(mean:logStd:preTanh:)``). Both are
    /// differentiable in the actor's parameters when a tape records.
    /// With gSDE a fresh `E` is drawn for the batch (SB3 resets the noise
    /// before every gradient step).
    public func sample(_ observations: Tensor, using rng: inout RandomGenerator) throws -> (actions: Tensor, logProbabilities: Tensor) {
        let (mean, logStd, features) = distribution(observations)
        let u = try preTanhSample(mean, logStd, features: features, noise: nil, using: &rng)
        return (u.tanh(), squashedGaussianLogProbability(mean: mean, logStd: logStd, preTanh: u))
    }

    /// Actions in [−1, 1], `[B, d]`: `tanh(μ(s))` when `deterministic`
    /// (evaluation; no log-probabilities), else a ``sample(_:using:)`` with
    /// its log-probabilities. `rng` is not used when deterministic.
    public func act(_ observations: Tensor, deterministic: Bool,
                    using rng: inout RandomGenerator) throws -> (actions: Tensor, logProbabilities: Tensor?) {
        if deterministic { return (callAsFunction(observations).mean.tanh(), nil) }
        guard usesStateDependentNoise else {
            let (actions, logProbabilities) = try sample(observations, using: &rng)
            return (actions, logProbabilities)
        }
        // gSDE acts with the held noise matrix (smooth exploration across steps).
        if actingNoise == nil { try resetNoise(using: &rng) }
        let (mean, logStd, features) = distribution(observations)
        let u = try preTanhSample(mean, logStd, features: features, noise: actingNoise, using: &rng)
        return (u.tanh(), squashedGaussianLogProbability(mean: mean, logStd: logStd, preTanh: u))
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try torso?.visitParameters { name, t in try body("torso.\(name)", &t) }
        try meanHead.visitParameters { name, t in try body("mean_head.\(name)", &t) }
        try logStdHead?.visitParameters { name, t in try body("log_std_head.\(name)", &t) }
        if sdeLogStd != nil { try body("log_std", &sdeLogStd!) }
    }
}

/// A soft Q function `Q(s, a)` (SB3's `ContinuousCritic`, one of its two
/// `qf` networks): an MLP with ReLU on `concat(observation, action)`
/// (`[B, n + d]`) to one output, returned as `[B]`. Actions are in the
/// policy's [−1, 1] space. Glorot-uniform weights, zero biases.
/// Parameters: `0.weight`, `0.bias`, … (one `Linear` per layer, the last
/// of width 1).
public final class SACQNetwork: Layer {
    public let observationSize: Int
    public let actionSize: Int
    let mlp: MLP

    public init(observationSize: Int, actionSize: Int, hiddenSizes: [Int] = [256, 256], using rng: inout RandomGenerator) {
        require(observationSize > 0 && actionSize > 0, "SACQNetwork: observation size \(observationSize) and action size \(actionSize) must be positive")
        require(hiddenSizes.allSatisfy { $0 > 0 }, "SACQNetwork: hidden sizes \(hiddenSizes) must be positive")
        self.observationSize = observationSize
        self.actionSize = actionSize
        mlp = MLP(sizes: [observationSize + actionSize] + hiddenSizes + [1], activation: .relu, outputActivation: .identity,
                  using: &rng)
    }

    /// `Q(s, a)`, `[B]`, for observations `[B, n]` and actions `[B, d]`;
    /// differentiable in the parameters and in the actions.
    public func callAsFunction(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        require(observations.rank == 2 && actions.rank == 2 && observations.shape[0] == actions.shape[0]
                    && observations.shape[1] == observationSize && actions.shape[1] == actionSize,
                "SACQNetwork: observations \(observations.shape) and actions \(actions.shape) for sizes \(observationSize), \(actionSize)")
        let q = mlp(Tensor.concat([observations, actions], axis: 1))
        return q.reshaped([q.shape[0]])
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try mlp.visitParameters { name, t in try body(name, &t) }
    }
}
