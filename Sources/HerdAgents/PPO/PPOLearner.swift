import Foundation
import HerdCore
import HerdTensor

/// What the policy did for one batch of observations (`B` rows).
public struct PolicyStep: Sendable {
    /// `[B, actionSize]`, in the policy's space (Gaussian actions unclipped).
    public var actions: [Float]
    /// `log π(a)`, `[B]`.
    public var logProbabilities: [Float]
    /// `v(s)`, `[B]`.
    public var values: [Float]
    /// `[B, parameterCount]` (see ``ActionHead/parameterCount``).
    public var distributionParameters: [Float]
}

/// Averages over one update (all epochs and minibatches), and the KL from the
/// data-collecting policy to the updated one over the whole rollout.
public struct PPOUpdateStatistics: Equatable, Sendable {
    public var policyLoss: Double = 0
    public var valueLoss: Double = 0
    public var entropy: Double = 0
    /// Mean `KL(π_old ‖ π_new)` after the update, over the rollout.
    public var kl: Double = 0
    /// Fraction of samples whose ratio left `[1 − ε, 1 + ε]`.
    public var clipFraction: Double = 0
    /// Global gradient norm before clipping.
    public var gradientNorm: Double = 0
    /// β after this update's adaptation (kl_penalty objective).
    public var klPenalty: Double = 0
    public var learningRate: Double = 0
    /// `1 − Var(R − v) / Var(R)` of the value predictions before the update.
    public var explainedVariance: Double = 0
    /// Gradient steps taken.
    public var gradientSteps = 0
}

/// BatchPPO's learner (Hafner, Davidson & Vanhoucke 2017, "TensorFlow
/// Agents"): GAE advantages, normalised over the batch, then `epochs` passes
/// of `minibatches` Adam steps on the clipped surrogate or the adaptive KL
/// penalty, plus the value loss and an entropy bonus.
///
/// The update reads top to bottom in ``update(_:progress:)``. Parameters live
/// on `device`; inputs are copied there and results back, as on a real
/// accelerator.
public final class PPOLearner {
    public let network: ActorCritic
    public let optimizer: Adam
    public let settings: PPOSettings
    public let device: Device
    public let observationSize: Int
    public var klController: KLPenaltyController
    /// Draws actions and minibatch orders; saved in checkpoints.
    public var random: RandomGenerator
    /// Updates done so far.
    public var updates = 0
    /// The network's parameters, listed once: they keep their identity
    /// (optimisers and checkpoint restores write into them in place), and
    /// listing them walks every layer and builds its names.
    private let trainable: [Tensor]
    /// Gradient steps skipped for a non-finite loss or gradient.
    public private(set) var nonFinite = NonFiniteGuard()

    public init(observationSize: Int, observationShape: [Int]? = nil, head: ActionHead, network networkSettings: NetworkSettings,
                settings: PPOSettings, device: Device = .cpu, seed: UInt64) throws {
        var initRandom = RandomGenerator(seed: seed, stream: 1)
        network = ActorCritic(observationSize: observationSize, observationShape: observationShape, head: head,
                              settings: networkSettings, using: &initRandom)
        try network.move(to: device)
        optimizer = Adam(network.namedParameters, learningRate: settings.learningRate, epsilon: settings.adamEpsilon)
        trainable = network.parameters
        self.settings = settings
        self.device = device
        self.observationSize = observationSize
        klController = KLPenaltyController(initialPenalty: settings.klInitialPenalty, target: settings.klTarget)
        random = RandomGenerator(seed: seed, stream: 2)
    }

    public var head: ActionHead { network.head }

    // MARK: Acting

    /// Samples (or, `deterministic`, takes the mode of) the policy for
    /// observations `[B, n]`.
    public func act(_ observations: [Float], deterministic: Bool = false) throws -> PolicyStep {
        try act(ObservationRows(observations), deterministic: deterministic)
    }

    /// ``act(_:deterministic:)-([Float],_)`` for observations as the pool keeps them.
    public func act(_ observations: ObservationRows, deterministic: Bool = false) throws -> PolicyStep {
        let rows = observations.count / observationSize
        return try withoutGradients {
            let (policy, value) = network(try observations.tensor(shape: [rows, observationSize], on: device))
            let actions = deterministic ? try policy.mode() : try policy.sample(using: &random)
            let logProbabilities = try policy.logProbability(of: try input(actions, [rows, head.actionSize])).hostScalars()
            let step = PolicyStep(actions: actions, logProbabilities: logProbabilities, values: try value.hostScalars(),
                                  distributionParameters: try policy.parameters.hostScalars())
            try device.synchronize()
            return step
        }
    }

    /// `v(s)` for observations `[B, n]`.
    public func values(_ observations: [Float]) throws -> [Float] { try values(ObservationRows(observations)) }

    /// `v(s)` for observations `[B, n]` as the pool keeps them.
    public func values(_ observations: ObservationRows) throws -> [Float] {
        try withoutGradients {
            let rows = observations.count / observationSize
            let values = try network.value(try observations.tensor(shape: [rows, observationSize], on: device)).hostScalars()
            try device.synchronize()
            return values
        }
    }

    // MARK: Learning

    /// One PPO update on a complete rollout. `progress` ∈ [0, 1] is the
    /// fraction of the run done, for learning-rate and clip annealing.
    public func update(_ rollout: Rollout, progress: Double) throws -> PPOUpdateStatistics {
        require(rollout.isComplete, "PPO update needs a complete rollout (\(rollout.rows) rows, \(rollout.values.count) values)")
        let remaining = Float(max(0, 1 - progress))
        optimizer.learningRate = settings.learningRate * (settings.annealLearningRate ? remaining : 1)
        let clipRange = max(settings.clipRange * (settings.annealClipRange ? remaining : 1), 1e-6)

        // Advantages and value targets over the whole rollout.
        let rows = rollout.rows
        var advantages = generalizedAdvantages(rewards: rollout.rewards, discounts: rollout.discounts,
                                               values: rollout.values, lambda: settings.lambda, batchSize: rollout.batchSize)
        let returns = zip(advantages, rollout.values).map { $0 + $1 }
        if settings.normalizeAdvantages { advantages = standardized(advantages) }

        var stats = PPOUpdateStatistics()
        stats.learningRate = Double(optimizer.learningRate)
        stats.explainedVariance = explainedVariance(predictions: Array(rollout.values.prefix(rows)), targets: returns)
        let minibatchSize = max(1, rows / settings.minibatches)
        var clipped = 0, seen = 0
        // One minibatch per epoch is the whole rollout: build it once, no shuffling needed.
        let whole = settings.minibatches == 1
            ? try minibatch(rollout, indices: Array(0..<rows)[...], advantages: advantages, returns: returns) : nil
        for _ in 0..<settings.epochs {
            var order = Array(0..<rows)
            if whole == nil { order.shuffle(using: &random) }
            for start in stride(from: 0, to: rows - minibatchSize + 1, by: minibatchSize) {
                let indices = order[start..<(start + minibatchSize)]
                let batch = try whole ?? minibatch(rollout, indices: indices, advantages: advantages, returns: returns)
                let step = try gradientStep(batch, clipRange: clipRange)
                stats.policyLoss += step.policyLoss
                stats.valueLoss += step.valueLoss
                stats.entropy += step.entropy
                stats.gradientNorm += step.gradientNorm
                stats.gradientSteps += 1
                clipped += step.clipped
                seen += minibatchSize
            }
        }
        let n = Double(max(stats.gradientSteps, 1))
        stats.policyLoss /= n
        stats.valueLoss /= n
        stats.entropy /= n
        stats.gradientNorm /= n
        stats.clipFraction = Double(clipped) / Double(max(seen, 1))
        stats.kl = try meanKL(rollout)
        if settings.objective == .klPenalty { klController.adapt(observedKL: Float(stats.kl)) }
        stats.klPenalty = Double(klController.penalty)
        updates += 1
        return stats
    }

    /// Device tensors for one minibatch.
    struct Minibatch {
        var observations, actions, oldLogProbabilities, oldParameters, advantages, returns, oldValues: Tensor
        var oldLogProbabilitiesHost: [Float]
    }

    private func minibatch(_ r: Rollout, indices: ArraySlice<Int>, advantages: [Float], returns: [Float]) throws -> Minibatch {
        func rows(_ source: [Float], width: Int) -> [Float] {
            [Float](unsafeUninitializedCapacity: indices.count * width) { out, count in
                source.withUnsafeBufferPointer { src in
                    var o = 0
                    for i in indices {
                        for k in 0..<width { out[o + k] = src[i * width + k] }
                        o += width
                    }
                }
                count = indices.count * width
            }
        }
        let n = indices.count
        let oldLogProbabilities = rows(r.logProbabilities, width: 1)
        return Minibatch(
            observations: try r.observations.gather(rows: Array(indices), width: r.observationSize)
                .tensor(shape: [n, r.observationSize], on: device),
            actions: try input(rows(r.actions, width: r.actionSize), [n, r.actionSize]),
            oldLogProbabilities: try input(oldLogProbabilities, [n]),
            oldParameters: try input(rows(r.distributionParameters, width: r.parameterCount), [n, r.parameterCount]),
            advantages: try input(rows(advantages, width: 1), [n]),
            returns: try input(rows(returns, width: 1), [n]),
            oldValues: try input(rows(r.values, width: 1), [n]),
            oldLogProbabilitiesHost: oldLogProbabilities)
    }

    private func gradientStep(_ b: Minibatch, clipRange: Float)
        throws -> (policyLoss: Double, valueLoss: Double, entropy: Double, gradientNorm: Double, clipped: Int) {
        let tape = GradientTape()
        var logProbabilities: Tensor!
        var policyLoss: Tensor!, valueLoss: Tensor!, entropy: Tensor!
        let loss = try tape.record { () throws -> Tensor in
            let (policy, values) = network(b.observations)
            logProbabilities = try policy.logProbability(of: b.actions)
            switch settings.objective {
            case .clip:
                policyLoss = ppoClippedSurrogate(logProbabilities: logProbabilities, oldLogProbabilities: b.oldLogProbabilities,
                                                 advantages: b.advantages, clipRange: clipRange)
            case .klPenalty:
                let old = PolicyDistribution(head: head, parameters: b.oldParameters)
                policyLoss = try ppoKLPenaltyObjective(
                    logProbabilities: logProbabilities, oldLogProbabilities: b.oldLogProbabilities, advantages: b.advantages,
                    kl: old.kl(to: policy), penalty: klController.penalty, target: settings.klTarget,
                    cutoffFactor: settings.klCutoffFactor, cutoffCoefficient: settings.klCutoffCoefficient)
            }
            valueLoss = ppoValueLoss(values: values, returns: b.returns, oldValues: b.oldValues,
                                     clipRange: settings.valueClipRange > 0 ? settings.valueClipRange : nil)
            entropy = policy.entropy().mean()
            return policyLoss + valueLoss * settings.valueCoefficient - entropy * settings.entropyCoefficient
        }
        let (gradients, norm) = clipByGlobalNormIfPositive(tape.gradients(of: loss, wrt: trainable),
                                                           maxNorm: settings.maxGradientNorm)
        // One read of the parts serves the statistics and the guard (the total is the loss above).
        let losses = try Tensor.stack([policyLoss, valueLoss, entropy]).hostScalars()
        let total = losses[0] + losses[1] * settings.valueCoefficient - losses[2] * settings.entropyCoefficient
        if nonFinite.admit(loss: total, gradientNorm: norm) { optimizer.step(gradients) }
        try device.synchronize()
        let newLogProbabilities = try logProbabilities.hostScalars()
        var clipped = 0
        for (new, old) in zip(newLogProbabilities, b.oldLogProbabilitiesHost) where abs(Foundation.exp(new - old) - 1) > clipRange {
            clipped += 1
        }
        return (Double(losses[0]), Double(losses[1]), Double(losses[2]), Double(norm), clipped)
    }

    /// Mean `KL(π_old ‖ π)` over a rollout, with the current parameters.
    public func meanKL(_ r: Rollout) throws -> Double {
        try withoutGradients {
            let policy = network(try r.observations.tensor(shape: [r.rows, r.observationSize], on: device)).policy
            let old = PolicyDistribution(head: head, parameters: try input(r.distributionParameters, [r.rows, r.parameterCount]))
            let kl = Double(try old.kl(to: policy).mean().hostScalars()[0])
            try device.synchronize()
            return kl
        }
    }

    /// A host array as a tensor on the learner's device (a counted copy).
    func input(_ values: [Float], _ shape: [Int]) throws -> Tensor {
        try Tensor(values, shape: shape).to(device)
    }
}

/// `1 − Var(y − ŷ) / Var(y)`; NaN when the targets have no variance.
public func explainedVariance(predictions: [Float], targets: [Float]) -> Double {
    func variance(_ x: [Double]) -> Double {
        let mean = x.reduce(0, +) / Double(max(x.count, 1))
        return x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(x.count, 1))
    }
    let y = targets.map(Double.init)
    let residual = zip(targets, predictions).map { Double($0) - Double($1) }
    let vy = variance(y)
    return vy == 0 ? .nan : 1 - variance(residual) / vy
}
