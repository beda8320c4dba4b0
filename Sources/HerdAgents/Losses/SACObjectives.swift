import Foundation
import HerdCore
import HerdTensor

/// Soft Actor-Critic's objectives (Haarnoja et al. 2018, "Soft Actor-Critic
/// Algorithms and Applications", arXiv 1812.05905), as pure functions of
/// tensors. Batches are batch-first: per-row quantities are `[B]`, actions
/// and their pre-squash values `[B, d]`. Every function is differentiable
/// through ordinary tensor ops unless it says it detaches something.

/// `log 2`, for the stable tanh correction.
private let logTwo = Float(Foundation.log(2.0))
/// `½ log 2π`, the Gaussian's normalising constant per dimension.
private let halfLogTwoPi = Float(0.5 * Foundation.log(2 * Double.pi))

/// `log π(a|s)` of a tanh-squashed Gaussian action `a = tanh(u)`,
/// `u ~ 𝒩(μ, diag σ²)` (Haarnoja et al. 2018, appendix C, eq. 26):
///
///     log π(a|s) = Σᵢ [ log 𝒩(uᵢ; μᵢ, σᵢ) − log(1 − tanh(uᵢ)²) ]
///     log 𝒩(u; μ, σ) = −½((u − μ)/σ)² − log σ − ½ log 2π
///
/// The Jacobian term uses the identity (SpinningUp's `sac/core.py`)
///
///     log(1 − tanh(u)²) = 2·(log 2 − u − softplus(−2u))
///
/// which stays finite for any `u`; the naive form is `log 0 = −∞` once
/// `tanh(u)` rounds to ±1 (|u| ≳ 9 in Float). It is the density of the
/// action in [−1, 1]ᵈ: rescaling to the environment's bounds adds a constant
/// `−Σ log scaleᵢ` that SB3 leaves out (as here) and CleanRL puts in.
///
/// - Parameters:
///   - mean: μ, `[B, d]`.
///   - logStd: log σ, `[B, d]` (or `[d]`, broadcast).
///   - preTanh: `u`, `[B, d]`. Pass the reparameterised sample `u = μ + σ⊙ε`
///     itself (not a detached copy) so gradients reach μ and log σ through
///     `u` as well as through the density, as the SAC policy loss needs.
/// - Returns: `[B]`.
public func squashedGaussianLogProbability(mean: Tensor, logStd: Tensor, preTanh u: Tensor) -> Tensor {
    require(mean.rank == 2 && u.shape == mean.shape, "squashedGaussianLogProbability: mean \(mean.shape), preTanh \(u.shape)")
    require(logStd.shape == mean.shape || logStd.shape == [mean.shape[1]],
            "squashedGaussianLogProbability: logStd \(logStd.shape) does not fit mean \(mean.shape)")
    let z = (u - mean) * (-logStd).exp()
    let logGaussian = z.square() * -0.5 - logStd - halfLogTwoPi
    let logOneMinusTanhSquared = (logTwo - u - (u * -2).softplus()) * 2
    return (logGaussian - logOneMinusTanhSquared).sum(axis: 1)
}

/// The soft Bellman backup for the Q targets, with clipped double-Q
/// (Haarnoja et al. 2018, eqs. 2–3 and §6 "two Q-functions"; Fujimoto et al.
/// 2018 for the minimum):
///
///     y = r + γ·(1 − done)·( min(Q̄₁(s′, a′), Q̄₂(s′, a′)) − α·log π(a′|s′) ),   a′ ~ π(·|s′)
///
/// with Q̄ the target networks. `done` is 1 only where the episode
/// *terminated* (the MDP reached an absorbing state, whose future value is
/// 0). An episode *truncated* by a time limit did not end in the MDP, so the
/// caller stores done = 0 there and the target bootstraps from `s′`, which
/// must be the real last observation, not the next episode's first
/// (Pardo et al. 2018; SB3's `handle_timeout_termination`, Gymnasium's
/// `terminated`/`truncated` split).
///
/// - Parameters: `reward`, `done`, `nextQ1`, `nextQ2`, `nextLogProbability`:
///   `[B]`; α ≥ 0 and γ ∈ [0, 1] as constants.
/// - Returns: `[B]`, detached: the target carries no gradient.
public func softBellmanTarget(reward: Tensor, done: Tensor, nextQ1: Tensor, nextQ2: Tensor,
                              nextLogProbability: Tensor, alpha: Float, gamma: Float) -> Tensor {
    let shape = reward.shape
    require([done.shape, nextQ1.shape, nextQ2.shape, nextLogProbability.shape].allSatisfy { $0 == shape },
            "softBellmanTarget: shapes reward \(shape), done \(done.shape), nextQ1 \(nextQ1.shape), nextQ2 \(nextQ2.shape), " +
            "nextLogProbability \(nextLogProbability.shape) differ")
    return withoutGradients { () -> Tensor in
        let softValue = Tensor.minimum(nextQ1, nextQ2) - nextLogProbability * alpha
        return reward + (1 - done) * gamma * softValue
    }.stopGradient()
}

/// The critic loss: both Q networks regressed on one target `y` (from
/// ``softBellmanTarget(reward:done:nextQ1:nextQ2:nextLogProbability:alpha:gamma:)``),
/// the sum of their mean squared errors (Haarnoja et al. 2018, eq. 5, for
/// each Qᵢ; CleanRL's `qf_loss = qf1_loss + qf2_loss`; SB3 halves it):
///
///     J_Q = mean((Q₁(s, a) − y)²) + mean((Q₂(s, a) − y)²)
///
/// `q1`, `q2`: `[B]`, differentiable; `target`: `[B]`, detached here too.
public func sacCriticLoss(q1: Tensor, q2: Tensor, target: Tensor) -> Tensor {
    require(q1.shape == target.shape && q2.shape == target.shape,
            "sacCriticLoss: q1 \(q1.shape), q2 \(q2.shape), target \(target.shape)")
    let y = target.stopGradient()
    return (q1 - y).square().mean() + (q2 - y).square().mean()
}

/// The policy loss (Haarnoja et al. 2018, eq. 7 with the reparameterisation
/// ã = tanh(μ(s) + σ(s)⊙ε) of eq. 8, and the minimum of the two Q
/// networks as in §6):
///
///     J_π = mean( α·log π(ã|s) − min(Q₁(s, ã), Q₂(s, ã)) )
///
/// `logProbability`, `q1`, `q2`: `[B]`, all differentiable in the actor's
/// parameters through ã (the Q networks' own gradients are not wanted: take
/// gradients with respect to the actor's parameters only). α is a constant.
public func sacActorLoss(logProbability: Tensor, q1: Tensor, q2: Tensor, alpha: Float) -> Tensor {
    require(q1.shape == logProbability.shape && q2.shape == logProbability.shape,
            "sacActorLoss: logProbability \(logProbability.shape), q1 \(q1.shape), q2 \(q2.shape)")
    return (logProbability * alpha - Tensor.minimum(q1, q2)).mean()
}

/// The temperature loss of automatic entropy adjustment (Haarnoja et al.
/// 2018, §5 and eq. 18, `J(α) = E[−α·log π(a|s) − α·H̄]`), in SB3's form:
/// written in log α, which is what is optimised (softlearning issue #37),
///
///     J(log α) = −mean( log α · (log π(a|s) + H̄) )
///
/// with log π detached. Its gradient `−mean(log π + H̄)` is positive when the
/// policy's entropy estimate `−mean log π` exceeds the target H̄, so a
/// descent step lowers α; below the target it raises α.
///
/// - Parameters:
///   - logAlpha: log α, a rank-0 (or one-element) trainable tensor.
///   - logProbability: `log π` of fresh policy samples, `[B]`; detached here.
///   - targetEntropy: H̄, conventionally `−dim(A)` (``defaultTargetEntropy(actionSize:)``).
public func temperatureLoss(logAlpha: Tensor, logProbability: Tensor, targetEntropy: Float) -> Tensor {
    require(logAlpha.count == 1, "temperatureLoss: logAlpha must hold one element, has shape \(logAlpha.shape)")
    return -(logAlpha * (logProbability.stopGradient() + targetEntropy)).mean()
}

/// SAC's heuristic target entropy H̄ = −dim(A) (Haarnoja et al. 2018, §5 and
/// appendix D; SB3's `target_entropy="auto"`).
public func defaultTargetEntropy(actionSize: Int) -> Float { -Float(actionSize) }

/// Polyak averaging of target parameters (Haarnoja et al. 2018, algorithm 1,
/// `θ̄ ← τθ + (1 − τ)θ̄`; Lillicrap et al. 2016):
///
///     θ_target ← (1 − τ)·θ_target + τ·θ
///
/// in place (``Tensor/assign(_:)``), pair by pair: `target[i]` and `source[i]`
/// have one shape and one device. τ = 1 copies, τ = 0 leaves the targets
/// as they were. Records nothing on any tape.
public func polyakUpdate(target: [Tensor], source: [Tensor], tau: Float) {
    require(target.count == source.count, "polyakUpdate: \(target.count) target tensors for \(source.count) source tensors")
    require((0...1).contains(tau), "polyakUpdate: τ \(tau) must be in [0, 1]")
    withoutGradients { () -> Void in
        for (t, s) in zip(target, source) {
            require(t.shape == s.shape, "polyakUpdate: target shape \(t.shape), source shape \(s.shape)")
            t.assign(t * (1 - tau) + s * tau)
        }
    }
}

/// ``polyakUpdate(target:source:tau:)`` over two layers of one structure,
/// parameters matched by name (a mismatch is a programmer error).
public func polyakUpdate(target: Layer, source: Layer, tau: Float) {
    let t = target.namedParameters, s = source.namedParameters
    require(t.map(\.name) == s.map(\.name), "polyakUpdate: layers with different parameters \(t.map(\.name)) and \(s.map(\.name))")
    polyakUpdate(target: t.map(\.tensor), source: s.map(\.tensor), tau: tau)
}
