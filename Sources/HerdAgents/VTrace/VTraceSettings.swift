import Foundation
import HerdCore
import HerdTensor

/// The optimiser of the V-trace learner.
public enum VTraceOptimizer: String, Sendable, CaseIterable {
    /// Adam (seed_rl's choice).
    case adam
    /// RMSProp with ε inside the square root (the IMPALA paper's TensorFlow 1 optimiser).
    case rmsprop
}

/// How rewards are clipped before they enter V-trace (scalable_agent's `--reward_clipping`).
public enum RewardClipping: String, Sendable, CaseIterable {
    case none
    /// `clip(r, −1, 1)`.
    case absOne = "abs_one"
    /// `5·tanh(r/5)`, with negative rewards scaled by 0.3.
    case softAsymmetric = "soft_asymmetric"

    public func callAsFunction(_ r: Float) -> Float {
        switch self {
        case .none: return r
        case .absOne: return Swift.min(1, Swift.max(-1, r))
        case .softAsymmetric:
            let squeezed = Foundation.tanh(r / 5)
            return (r < 0 ? 0.3 * squeezed : squeezed) * 5
        }
    }
}

/// IMPALA hyperparameters. Defaults follow the IMPALA paper (Espeholt et al.
/// 2018, tables D.1–D.3: baseline cost 0.5, entropy 0.01, gradient clip 40,
/// RMSProp decay 0.99 and ε 0.1, unrolls of 20, γ 0.99); configs state their own.
public struct VTraceLearnerSettings: Equatable, Sendable {
    /// `T`: transitions per unroll (each unroll holds `T + 1` observations).
    public var unrollLength = 20
    /// `B`: unrolls per learner step.
    public var batchSize = 32
    public var learningRate: Float = 6e-4
    /// Decay the learning rate linearly to 0 over the run.
    public var annealLearningRate = true
    public var optimizer = VTraceOptimizer.rmsprop
    public var adamEpsilon: Float = 1e-8
    public var rmspropDecay: Float = 0.99
    public var rmspropMomentum: Float = 0
    public var rmspropEpsilon: Float = 0.1
    /// γ.
    public var discount: Float = 0.99
    /// ρ̄, c̄, the policy-gradient ρ clip and λ of the V-trace targets.
    public var vtrace = VTraceSettings()
    /// Weight of the baseline loss `½(vₛ − V(xₛ))²`.
    public var baselineCoefficient: Float = 0.5
    /// Weight of the entropy bonus.
    public var entropyCoefficient: Float = 0.01
    /// Global gradient-norm clip (0: off).
    public var maxGradientNorm: Float = 40
    public var rewardClipping = RewardClipping.none

    public init() {}
}
