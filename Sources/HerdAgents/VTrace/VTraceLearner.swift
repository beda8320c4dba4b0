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

/// One learner batch of `B` unrolls of `T` transitions, time-major (element
/// `(t, b)` of a `[T, B, …]` array at row `t·B + b`). Row `t` holds the
/// observation the actor saw at step `t` and what it did there; `rewards` and
/// `discounts` are those of the transition from step `t` to `t + 1`, and
/// `observations` has one more time row, `T`, for the bootstrap value.
public struct VTraceBatch: Sendable {
    public var steps: Int
    public var batchSize: Int
    public var observationSize: Int
    /// `[T + 1, B, observationSize]`.
    public var observations: [Float] = []
    /// `[T, B, actionSize]`.
    public var actions: [Float] = []
    /// The acting policy's distribution parameters (``PolicyDistribution/parameters``), `[T, B, parameterCount]`.
    public var behaviour: [Float] = []
    /// `[T, B]`, already clipped as the settings ask.
    public var rewards: [Float] = []
    /// `[T, B]`: γ while the episode goes on, 0 where it ended (terminated or truncated).
    public var discounts: [Float] = []
    /// Transitions cut by a time limit, `(row t·B + b, the episode's last observation)`:
    /// the learner adds `γ·V(last observation)` to their reward, so a cut is not taken for a terminal state.
    public var truncations: [(row: Int, observation: [Float])] = []

    public init(steps: Int, batchSize: Int, observationSize: Int) {
        self.steps = steps
        self.batchSize = batchSize
        self.observationSize = observationSize
    }
}

/// Averages of one learner step.
public struct VTraceStepStatistics: Equatable, Sendable {
    public var policyLoss: Double = 0
    public var baselineLoss: Double = 0
    public var entropy: Double = 0
    public var gradientNorm: Double = 0
    public var learningRate: Double = 0
    /// `1 − Var(vₛ − V) / Var(vₛ)` before the step.
    public var explainedVariance: Double = 0
    /// Mean importance weight `π(a)/μ(a)` before clipping: 1 on-policy.
    public var meanRho: Double = 0
    /// Fraction of transitions whose `ρ` exceeded ρ̄.
    public var clippedRhoFraction: Double = 0
    /// The step was skipped: its loss or gradient was not finite (``NonFiniteGuard``).
    public var skipped = false

    public init() {}
}

/// IMPALA's learner (Espeholt et al. 2018): V-trace targets from the
/// behaviour policy's and the current policy's probabilities of the taken
/// actions, then one gradient step on
///
///     L = −mean(ρ̄ₚ𝓰 · Aₜ · log π(aₜ|xₜ)) + c_b · mean(½(vₛ − V(xₛ))²) − c_e · mean(H(π(·|xₛ)))
///
/// over the `[T, B]` batch (seed_rl's `compute_loss`). ``version`` counts
/// learner steps: the parameter version inference uses after publishing.
public final class VTraceLearner {
    public let network: ActorCritic
    public let optimizer: Optimizer
    public let settings: VTraceLearnerSettings
    public let device: Device
    public let observationSize: Int
    /// Learner steps taken.
    public var version = 0
    private let trainable: [Tensor]
    /// Gradient steps skipped for a non-finite loss or gradient.
    public private(set) var nonFinite = NonFiniteGuard()

    public init(network: ActorCritic, observationSize: Int, settings: VTraceLearnerSettings, device: Device = .cpu) throws {
        try network.move(to: device)
        self.network = network
        switch settings.optimizer {
        case .adam:
            optimizer = Adam(network.namedParameters, learningRate: settings.learningRate, epsilon: settings.adamEpsilon)
        case .rmsprop:
            optimizer = RMSProp(network.namedParameters, learningRate: settings.learningRate, decay: settings.rmspropDecay,
                                momentum: settings.rmspropMomentum, epsilon: settings.rmspropEpsilon, epsilonInsideSqrt: true)
        }
        trainable = network.parameters
        self.settings = settings
        self.device = device
        self.observationSize = observationSize
    }

    public var head: ActionHead { network.head }

    /// One gradient step on `batch`. `progress` ∈ [0, 1] anneals the learning rate.
    public func step(_ batch: VTraceBatch, progress: Double) throws -> VTraceStepStatistics {
        let (T, B, n) = (batch.steps, batch.batchSize, observationSize)
        let rows = T * B
        let actionSize = head.actionSize, parameterCount = head.parameterCount
        require(batch.observations.count == (T + 1) * B * n && batch.actions.count == rows * actionSize
                && batch.behaviour.count == rows * parameterCount && batch.rewards.count == rows && batch.discounts.count == rows,
                "VTraceLearner.step: batch arrays do not match T = \(T), B = \(B), observation size \(n)")
        optimizer.learningRate = settings.learningRate * (settings.annealLearningRate ? Float(max(0, 1 - progress)) : 1)

        let observations = try input(batch.observations, [(T + 1) * B, n])
        let actions = try input(batch.actions, [rows, actionSize])
        // Time-limit cuts: the reward takes γ·V(last observation) with the current parameters.
        var rewards = batch.rewards
        if !batch.truncations.isEmpty {
            let finals = batch.truncations.flatMap(\.observation)
            let values = try withoutGradients {
                try network.value(try input(finals, [batch.truncations.count, n])).hostScalars()
            }
            for (cut, value) in zip(batch.truncations, values) { rewards[cut.row] += settings.discount * value }
        }
        let behaviourLogProbabilities = try withoutGradients {
            try PolicyDistribution(head: head, parameters: try input(batch.behaviour, [rows, parameterCount]))
                .logProbability(of: actions).hostScalars()
        }

        let tape = GradientTape()
        var statistics = VTraceStepStatistics()
        statistics.learningRate = Double(optimizer.learningRate)
        var policyLoss: Tensor!, baselineLoss: Tensor!, entropy: Tensor!
        let loss = try tape.record { () throws -> Tensor in
            let (policy, allValues) = network(observations)
            let acting = policy.rows(0..<rows)
            let logProbabilities = try acting.logProbability(of: actions)
            let values = allValues.slice(axis: 0, 0..<rows)
            // The targets are constants: computed on the host from detached values.
            let hostValues = try allValues.hostScalars()
            let targetLogProbabilities = try logProbabilities.hostScalars()
            let logRhos = zip(targetLogProbabilities, behaviourLogProbabilities).map { $0 - $1 }
            let targets = vtrace(logRhos: logRhos, discounts: batch.discounts, rewards: rewards,
                                 values: Array(hostValues[0..<rows]), bootstrapValues: Array(hostValues[rows...]),
                                 settings: settings.vtrace)
            statistics.explainedVariance = explainedVariance(predictions: Array(hostValues[0..<rows]), targets: targets.vs)
            let rhos = logRhos.map { Double(Foundation.exp($0)) }
            statistics.meanRho = rhos.reduce(0, +) / Double(rows)
            statistics.clippedRhoFraction = Double(rhos.filter { $0 > Double(settings.vtrace.clipRho ?? .infinity) }.count) / Double(rows)
            (policyLoss, baselineLoss, entropy) = impalaLosses(
                logProbabilities: logProbabilities, values: values, entropies: acting.entropy(),
                vs: try input(targets.vs, [rows]), pgAdvantages: try input(targets.pgAdvantages, [rows]))
            return policyLoss + baselineLoss * settings.baselineCoefficient - entropy * settings.entropyCoefficient
        }
        let (gradients, norm) = clipByGlobalNormIfPositive(tape.gradients(of: loss, wrt: trainable),
                                                           maxNorm: settings.maxGradientNorm)
        // One read of the parts serves the statistics and the guard (the total is the loss above).
        let losses = try Tensor.stack([policyLoss, baselineLoss, entropy]).hostScalars()
        let total = losses[0] + losses[1] * settings.baselineCoefficient - losses[2] * settings.entropyCoefficient
        statistics.skipped = !nonFinite.admit(loss: total, gradientNorm: norm)
        if !statistics.skipped { optimizer.step(gradients) }
        try device.synchronize()
        statistics.policyLoss = Double(losses[0])
        statistics.baselineLoss = Double(losses[1])
        statistics.entropy = Double(losses[2])
        statistics.gradientNorm = Double(norm)
        if !statistics.skipped { version += 1 }
        return statistics
    }

    /// A host array as a tensor on the learner's device (a counted copy).
    func input(_ values: [Float], _ shape: [Int]) throws -> Tensor {
        try Tensor(values, shape: shape).to(device)
    }
}

/// IMPALA's three loss terms, each a mean over the `[T·B]` rows:
/// the policy gradient `−mean(A · log π(a))`, the baseline loss
/// `mean(½(vₛ − V)²)` and the mean entropy. `vs` and `pgAdvantages` are
/// constants (no gradient flows into the targets).
public func impalaLosses(logProbabilities: Tensor, values: Tensor, entropies: Tensor,
                         vs: Tensor, pgAdvantages: Tensor) -> (policy: Tensor, baseline: Tensor, entropy: Tensor) {
    let policy = -(logProbabilities * pgAdvantages.stopGradient()).mean()
    let baseline = ((vs.stopGradient() - values).square() * 0.5).mean()
    return (policy, baseline, entropies.mean())
}

extension PolicyDistribution {
    /// The distributions of rows `range` (a differentiable slice).
    public func rows(_ range: Range<Int>) -> PolicyDistribution {
        switch self {
        case let .categorical(c):
            return .categorical(Categorical(logits: c.logits.slice(axis: 0, range)))
        case let .gaussian(g):
            let logStd = g.logStd.rank == 1 ? g.logStd : g.logStd.slice(axis: 0, range)
            return .gaussian(DiagonalGaussian(mean: g.mean.slice(axis: 0, range), logStd: logStd))
        }
    }
}
