import Foundation
import HerdCore
import HerdTensor

/// What one ``SACLearner/update(_:)`` measured. Losses are those of the
/// parameters before their own step.
public struct SACStepStatistics: Equatable, Sendable {
    /// `mean((Q₁ − y)²) + mean((Q₂ − y)²)`.
    public var criticLoss: Double = 0
    /// `mean(α·log π(ã|s) − min Qᵢ(s, ã))`.
    public var actorLoss: Double = 0
    /// The temperature loss (0 with a fixed α).
    public var alphaLoss: Double = 0
    /// The α this update used (before its own α step).
    public var alpha: Double = 0
    /// `−mean log π(ã|s)` over the batch's fresh actor samples, in nats
    /// (of the [−1, 1] actions).
    public var entropy: Double = 0
    /// Mean of Q₁ and Q₂ on the batch's stored actions.
    public var meanQ: Double = 0
    /// Global gradient norms of the critic, actor and log α steps.
    public var criticGradientNorm: Double = 0
    public var actorGradientNorm: Double = 0
    public var alphaGradientNorm: Double = 0
    /// A stage's loss or gradient was not finite (``NonFiniteGuard``): its
    /// step and every later stage of this update were skipped.
    public var skipped = false
    public init() {}
}

/// Soft Actor-Critic's learner (Haarnoja et al. 2018, "Soft Actor-Critic
/// Algorithms and Applications", algorithm 1) for Box actions in [−1, 1]ᵈ:
/// a squashed-Gaussian actor, two Q networks with Polyak-averaged targets
/// (clipped double-Q), and a temperature α that is fixed or learned to hold
/// the entropy near a target. ``update(_:)`` reads top to bottom as CleanRL's
/// `sac_continuous_action.py`, with SB3's choices where the two differ (one
/// learning rate for all, actor and α updated every step, the loss in log α,
/// log σ clamped).
///
/// Parameters live on `device`; batches are copied there and results back.
public final class SACLearner {
    public let actor: SACActor
    public let q1: SACQNetwork
    public let q2: SACQNetwork
    public let q1Target: SACQNetwork
    public let q2Target: SACQNetwork
    /// log α, a trainable rank-0 tensor on the device when α is learned;
    /// `nil` for a fixed α (``SACSettings/entropyCoefficient``).
    public let logAlpha: Tensor?
    public let actorOptimizer: Adam
    /// One optimiser over both Q networks (`q1.*`, `q2.*`).
    public let criticOptimizer: Adam
    public let alphaOptimizer: Adam?
    public let settings: SACSettings
    public let device: Device
    public let observationSize: Int
    public let actionSize: Int
    /// H̄ of the temperature loss.
    public let targetEntropy: Float
    /// Draws the actor's noise; saved in checkpoints.
    public var random: RandomGenerator
    /// Updates completed so far.
    public var updates = 0
    /// Steps skipped for a non-finite loss or gradient.
    public private(set) var nonFinite = NonFiniteGuard()
    /// Parameter lists, made once (they keep their identity: optimisers and
    /// restores write into them in place). Targets align with `critic`.
    private let actorParameters: [Tensor]
    private let criticParameters: [Tensor]
    private let targetParameters: [Tensor]

    public init(observationSize: Int, actionSize: Int, settings: SACSettings, device: Device = .cpu, seed: UInt64) throws {
        require(settings.tau >= 0 && settings.tau <= 1, "SACLearner: τ \(settings.tau) must be in [0, 1]")
        require(settings.targetUpdateInterval > 0, "SACLearner: target update interval must be positive")
        require(settings.entropyCoefficient.map { $0 >= 0 } ?? (settings.initialEntropyCoefficient > 0),
                "SACLearner: a fixed α must be ≥ 0 and a learned one must start > 0")
        var initRandom = RandomGenerator(seed: seed, stream: 1)
        let hidden = settings.hiddenSizes
        let actor = SACActor(observationSize: observationSize, actionSize: actionSize, hiddenSizes: hidden,
                             logStdMin: settings.logStdMin, logStdMax: settings.logStdMax, stateDependentNoise: settings.useSDE,
                             logStdInit: settings.logStdInit, clipMean: settings.clipMean, using: &initRandom)
        func critic() -> SACQNetwork {
            SACQNetwork(observationSize: observationSize, actionSize: actionSize, hiddenSizes: hidden, using: &initRandom)
        }
        let q1 = critic(), q2 = critic(), q1Target = critic(), q2Target = critic()
        let layers: [Layer] = [actor, q1, q2, q1Target, q2Target]
        for layer in layers { try layer.move(to: device) }
        try q1Target.copyParameters(from: q1)
        try q2Target.copyParameters(from: q2)
        self.actor = actor
        self.q1 = q1
        self.q2 = q2
        self.q1Target = q1Target
        self.q2Target = q2Target

        let rate = settings.learningRate, epsilon = settings.adamEpsilon
        actorOptimizer = Adam(actor.namedParameters(prefix: "actor"), learningRate: rate, epsilon: epsilon)
        criticOptimizer = Adam(q1.namedParameters(prefix: "q1") + q2.namedParameters(prefix: "q2"), learningRate: rate, epsilon: epsilon)
        if settings.entropyCoefficient == nil {
            let parameter = try Tensor.full([], Float(Foundation.log(settings.initialEntropyCoefficient)), on: device)
            parameter.requiresGradient = true
            logAlpha = parameter
            alphaOptimizer = Adam([(name: "log_alpha", tensor: parameter)], learningRate: rate, epsilon: epsilon)
        } else {
            logAlpha = nil
            alphaOptimizer = nil
        }
        actorParameters = actor.parameters
        criticParameters = q1.parameters + q2.parameters
        targetParameters = q1Target.parameters + q2Target.parameters
        targetEntropy = settings.targetEntropy.map { Float($0) } ?? defaultTargetEntropy(actionSize: actionSize)
        self.settings = settings
        self.device = device
        self.observationSize = observationSize
        self.actionSize = actionSize
        random = RandomGenerator(seed: seed, stream: 2)
    }

    /// Every tensor a checkpoint needs besides the optimisers' state, by name
    /// (`actor.*`, `q1.*`, `q2.*`, `q1_target.*`, `q2_target.*`, `log_alpha`).
    public var namedTensors: [(name: String, tensor: Tensor)] {
        var out = actor.namedParameters(prefix: "actor")
        out += q1.namedParameters(prefix: "q1")
        out += q2.namedParameters(prefix: "q2")
        out += q1Target.namedParameters(prefix: "q1_target")
        out += q2Target.namedParameters(prefix: "q2_target")
        if let logAlpha { out.append((name: "log_alpha", tensor: logAlpha)) }
        return out
    }

    /// gSDE: draws the noise matrix acting uses from now on.
    public func resetActingNoise() throws { try actor.resetNoise(using: &random) }

    /// The temperature now: `exp(log α)`, or the fixed coefficient.
    public func alpha() throws -> Float {
        guard let logAlpha else { return Float(settings.entropyCoefficient ?? 0) }
        let value = try logAlpha.hostScalars()[0]
        return Foundation.exp(value)
    }

    // MARK: Acting

    /// Actions in [−1, 1] for observations `[B, n]`, flat `[B, actionSize]`:
    /// sampled from the squashed Gaussian, or `tanh(μ(s))` when
    /// `deterministic`. The caller rescales them to the Box bounds.
    public func act(_ observations: [Float], deterministic: Bool = false) throws -> [Float] {
        let rows = observations.count / observationSize
        require(rows * observationSize == observations.count,
                "SACLearner.act: \(observations.count) floats are not rows of \(observationSize)")
        return try withoutGradients { () throws -> [Float] in
            let x = try input(observations, [rows, observationSize])
            let actions = try actor.act(x, deterministic: deterministic, using: &random).actions.hostScalars()
            try device.synchronize()
            // tanh's rational approximation may round a hair past ±1.
            return actions.map { Swift.min(Swift.max($0, -1), 1) }
        }
    }

    // MARK: Learning

    /// One SAC update on a sampled minibatch.
    public func update(_ batch: SACBatch) throws -> SACStepStatistics {
        let (n, o, a) = (batch.size, observationSize, actionSize)
        require(n > 0 && batch.observationSize == o && batch.actionSize == a,
                "SACLearner.update: a batch of \(n) with sizes \(batch.observationSize), \(batch.actionSize) for \(o), \(a)")
        let observations = try input(batch.observations, [n, o])
        let actions = try input(batch.actions, [n, a])
        let rewards = try input(batch.rewards, [n])
        let nextObservations = try input(batch.nextObservations, [n, o])
        let terminations = try input(batch.terminations, [n])
        var stats = SACStepStatistics()
        let alpha = try self.alpha()
        stats.alpha = Double(alpha)

        // (1) Critic: the soft Bellman target from the target networks at
        // a′ ~ π(·|s′), without gradients; both Q networks regress on it.
        let target = try withoutGradients { () throws -> Tensor in
            let (nextActions, nextLogProbabilities) = try actor.sample(nextObservations, using: &random)
            return softBellmanTarget(reward: rewards, done: terminations,
                                     nextQ1: q1Target(nextObservations, nextActions), nextQ2: q2Target(nextObservations, nextActions),
                                     nextLogProbability: nextLogProbabilities, alpha: alpha, gamma: settings.discount)
        }
        let criticTape = GradientTape()
        var q1Values: Tensor!, q2Values: Tensor!
        let criticLoss = criticTape.record { () -> Tensor in
            q1Values = q1(observations, actions)
            q2Values = q2(observations, actions)
            return sacCriticLoss(q1: q1Values, q2: q2Values, target: target)
        }
        let criticGradients = criticTape.gradients(of: criticLoss, wrt: criticParameters)
        let criticNorm = globalNorm(criticGradients)
        let criticValues = try withoutGradients { try Tensor.stack([criticLoss, (q1Values + q2Values).mean() * 0.5]).hostScalars() }
        stats.criticLoss = Double(criticValues[0])
        stats.meanQ = Double(criticValues[1])
        stats.criticGradientNorm = Double(criticNorm)
        guard finite(criticValues[0], criticNorm) else { return try stopped(stats) }
        criticOptimizer.step(criticGradients)

        // (2) Actor: a reparameterised sample ã at s, scored by the updated
        // critics; gradients for the actor's parameters only.
        let actorTape = GradientTape()
        var logProbabilities: Tensor!
        let actorLoss = try actorTape.record { () throws -> Tensor in
            let (sampled, logp) = try actor.sample(observations, using: &random)
            logProbabilities = logp
            return sacActorLoss(logProbability: logp, q1: q1(observations, sampled), q2: q2(observations, sampled), alpha: alpha)
        }
        let actorGradients = actorTape.gradients(of: actorLoss, wrt: actorParameters)
        let actorNorm = globalNorm(actorGradients)
        let actorValues = try withoutGradients { try Tensor.stack([actorLoss, -logProbabilities.mean()]).hostScalars() }
        stats.actorLoss = Double(actorValues[0])
        stats.entropy = Double(actorValues[1])
        stats.actorGradientNorm = Double(actorNorm)
        guard finite(actorValues[0], actorNorm) else { return try stopped(stats) }
        actorOptimizer.step(actorGradients)

        // (3) Temperature, when learned: the loss in log α with the actor
        // step's log π (detached), as SB3 (CleanRL draws a fresh sample).
        if let logAlpha, let alphaOptimizer {
            let alphaTape = GradientTape()
            let alphaLoss = alphaTape.record {
                temperatureLoss(logAlpha: logAlpha, logProbability: logProbabilities, targetEntropy: targetEntropy)
            }
            let alphaGradients = alphaTape.gradients(of: alphaLoss, wrt: [logAlpha])
            let alphaNorm = globalNorm(alphaGradients)
            let alphaLossValue = try alphaLoss.hostScalars()[0]
            stats.alphaLoss = Double(alphaLossValue)
            stats.alphaGradientNorm = Double(alphaNorm)
            guard finite(alphaLossValue, alphaNorm) else { return try stopped(stats) }
            alphaOptimizer.step(alphaGradients)
        }

        // (4) Targets: θ̄ ← (1 − τ)θ̄ + τθ every `targetUpdateInterval` updates.
        if updates % settings.targetUpdateInterval == 0 {
            polyakUpdate(target: targetParameters, source: criticParameters, tau: settings.tau)
        }
        updates += 1
        _ = nonFinite.admit(loss: 0, gradientNorm: 0)
        try device.synchronize()
        return stats
    }

    private func finite(_ loss: Float, _ gradientNorm: Float) -> Bool { loss.isFinite && gradientNorm.isFinite }

    /// The statistics of an update stopped at a non-finite stage: that
    /// stage and the later ones are skipped (a stage before it stays
    /// applied: the critic's step when the actor's loss is the bad one),
    /// and the guard counts one skipped update.
    private func stopped(_ stats: SACStepStatistics) throws -> SACStepStatistics {
        var stats = stats
        stats.skipped = true
        _ = nonFinite.admit(loss: .nan, gradientNorm: 0)
        try device.synchronize()
        return stats
    }

    /// A host array as a tensor on the learner's device (a counted copy).
    func input(_ values: [Float], _ shape: [Int]) throws -> Tensor {
        try Tensor(values, shape: shape).to(device)
    }
}
