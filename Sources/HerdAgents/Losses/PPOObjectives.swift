import HerdCore
import HerdTensor

/// PPO's policy objectives and value loss, as scalar losses to minimise.
/// Each takes log-probabilities of the taken actions under the current
/// policy (`logProbabilities: [B]`, differentiable) and under the policy that
/// collected the data (`oldLogProbabilities: [B]`, constants), with
/// advantages `[B]` (constants). The ratio is `ρ = exp(log π − log π_old)`.

/// The clipped surrogate (Schulman et al. 2017, eq. 7):
/// `L = −mean(min(ρ·A, clip(ρ, 1 − ε, 1 + ε)·A))`.
public func ppoClippedSurrogate(logProbabilities: Tensor, oldLogProbabilities: Tensor,
                                advantages: Tensor, clipRange: Float) -> Tensor {
    require(clipRange > 0, "ppoClippedSurrogate: clip range \(clipRange) must be positive")
    let ratio = (logProbabilities - oldLogProbabilities.stopGradient()).exp()
    let a = advantages.stopGradient()
    let unclipped = ratio * a
    let clipped = ratio.clamped(1 - clipRange, 1 + clipRange) * a
    return -Tensor.minimum(unclipped, clipped).mean()
}

/// BatchPPO's penalised objective (Heess et al. 2017; TensorFlow Agents
/// `agents/algorithms/ppo/ppo.py`, `_policy_loss`):
///
///     L = −mean(ρ·A) + β·mean(KL) + c·[KL̄ > f·target]·(KL̄ − f·target)²
///
/// with `KL̄ = mean(KL)` of the data-collecting policy to the current one
/// (`kl: [B]`, differentiable), β the adaptive penalty, `f` the cutoff
/// factor and `c` the cutoff coefficient (BatchPPO: f = 2, c = 1000).
/// Throws only a pending accelerator error (reading KL̄ to pick the branch).
public func ppoKLPenaltyObjective(logProbabilities: Tensor, oldLogProbabilities: Tensor, advantages: Tensor,
                                  kl: Tensor, penalty: Float, target: Float,
                                  cutoffFactor: Float, cutoffCoefficient: Float) throws -> Tensor {
    let ratio = (logProbabilities - oldLogProbabilities.stopGradient()).exp()
    let surrogate = -(ratio * advantages.stopGradient()).mean()
    let meanKL = kl.mean()
    var loss = surrogate + meanKL * penalty
    let threshold = cutoffFactor * target
    if try meanKL.hostScalars()[0] > threshold {
        loss = loss + (meanKL - threshold).square() * cutoffCoefficient
    }
    return loss
}

/// `½·mean((v − R)²)`, or with `clipRange` (PPO2's value clipping)
/// `½·mean(max((v − R)², (v_old + clip(v − v_old, −ε, ε) − R)²))`.
/// `values: [B]` differentiable; `returns` and `oldValues` constants.
public func ppoValueLoss(values: Tensor, returns: Tensor, oldValues: Tensor? = nil, clipRange: Float? = nil) -> Tensor {
    let r = returns.stopGradient()
    let unclipped = (values - r).square()
    guard let clipRange, clipRange > 0, let oldValues else { return unclipped.mean() * 0.5 }
    let old = oldValues.stopGradient()
    let clippedValues = old + (values - old).clamped(-clipRange, clipRange)
    return Tensor.maximum(unclipped, (clippedValues - r).square()).mean() * 0.5
}

/// BatchPPO's adaptive KL penalty β (`_adjust_penalty`): after an update whose
/// mean KL exceeded 1.3·target, β ×= 1.5; below 0.7·target, β ÷= 1.5.
public struct KLPenaltyController: Equatable, Sendable {
    public private(set) var penalty: Float
    public let target: Float

    public init(initialPenalty: Float = 1, target: Float = 0.01) {
        require(initialPenalty > 0 && target > 0, "KL penalty and target must be positive")
        self.penalty = initialPenalty
        self.target = target
    }

    /// Updates β from the mean KL measured after an update; returns it.
    @discardableResult
    public mutating func adapt(observedKL: Float) -> Float {
        if observedKL > 1.3 * target {
            penalty *= 1.5
        } else if observedKL < 0.7 * target {
            penalty /= 1.5
        }
        return penalty
    }

    /// For checkpoints.
    public mutating func restore(penalty: Float) { self.penalty = penalty }
}
