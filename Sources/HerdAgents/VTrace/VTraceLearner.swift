import Foundation
import HerdCore
import HerdTensor

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

        let observations = try batch.observations.tensor(shape: [(T + 1) * B, n], on: device)
        let actions = try input(batch.actions, [rows, actionSize])
        // Time-limit cuts: the reward takes γ·V(last observation) with the current parameters.
        var rewards = batch.rewards
        if !batch.truncations.isEmpty {
            var finals = ObservationRows()
            for cut in batch.truncations { finals += cut.observation }
            let values = try withoutGradients {
                try network.value(try finals.tensor(shape: [batch.truncations.count, n], on: device)).hostScalars()
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
