import Foundation
import HerdCore
import HerdTensor

/// R2D2 hyperparameters. Defaults are the paper's and seed_rl's
/// (Kapturowski et al. 2019, table 2: m = 80, burn-in 40, n = 5, γ = 0.997,
/// α = 0.9, β = 0.6, η = 0.9, target period 2500, Adam lr 1e-4 ε 1e-3);
/// configs state their own.
public struct R2D2Settings: Equatable, Sendable {
    /// `m`: steps of each sequence's training part (consecutive ones overlap by m/2).
    public var sequenceLength = 80
    /// Steps before the training part that only warm up the recurrent state.
    public var burnIn = 40
    /// `n` of the n-step targets.
    public var nSteps = 5
    public var discount: Float = 0.997
    /// Sequences per learner step.
    public var batchSize = 64
    public var learningRate: Float = 1e-4
    /// Decay the learning rate linearly to 0 over the run (the paper keeps it constant).
    public var annealLearningRate = false
    public var adamEpsilon: Float = 1e-3
    /// Global gradient-norm clip (0: off).
    public var maxGradientNorm: Float = 80
    /// Learner steps between copies of the online network into the target network.
    public var targetUpdatePeriod = 2500
    /// Priority exponent α, importance-sampling exponent β, and η of the priority mix.
    public var priorityExponent = 0.9
    public var importanceExponent = 0.6
    public var priorityEta: Float = 0.9
    /// Value rescaling h and ε of it.
    public var valueRescaling = true
    public var rescalingEpsilon: Float = 1e-3

    public init() {}
}

/// Averages of one learner step.
public struct R2D2StepStatistics: Equatable, Sendable {
    public var loss: Double = 0
    public var meanAbsoluteTDError: Double = 0
    public var meanQ: Double = 0
    public var gradientNorm: Double = 0
    /// The step was skipped: its loss or gradient was not finite (``NonFiniteGuard``).
    public var skipped = false
    public init() {}
}

/// R2D2's learner: burn-in without gradients from each sequence's stored
/// state, then the training part with gradients; n-step double-Q targets
/// with the target network's value of the online network's argmax, in
/// value-rescaled space; an importance-weighted squared TD loss over the
/// real steps of each sequence; new priorities `η·max|δ| + (1 − η)·mean|δ|`;
/// Adam with a global-norm clip; the target network copied every
/// `targetUpdatePeriod` steps.
public final class R2D2Learner {
    public let online: R2D2Network
    public let target: R2D2Network
    public let optimizer: Adam
    public let settings: R2D2Settings
    public let device: Device
    /// Learner steps taken.
    public var version = 0
    private let trainable: [Tensor]
    /// Gradient steps skipped for a non-finite loss or gradient.
    public private(set) var nonFinite = NonFiniteGuard()

    public init(online: R2D2Network, target: R2D2Network, settings: R2D2Settings, device: Device = .cpu) throws {
        try online.move(to: device)
        try target.move(to: device)
        try target.copyParameters(from: online)
        self.online = online
        self.target = target
        optimizer = Adam(online.namedParameters, learningRate: settings.learningRate, epsilon: settings.adamEpsilon)
        trainable = online.parameters
        self.settings = settings
        self.device = device
    }

    /// The network inputs of `sequences` between steps `range`, time-major.
    func inputs(_ sequences: [ReplaySequence], _ range: Range<Int>, initialState: [Float]) -> R2D2Network.Inputs {
        let B = sequences.count, n = online.observationSize
        var inputs = R2D2Network.Inputs(steps: range.count, batchSize: B, observations: ObservationRows(), previousActions: [], previousRewards: [],
                                        resets: [], initialState: initialState)
        inputs.observations.reserveCapacity(range.count * B * n)
        for t in range {
            for s in sequences {
                inputs.observations.append(s.observations, range: (t * n)..<((t + 1) * n))
                inputs.previousActions.append(s.previousActions[t])
                inputs.previousRewards.append(s.previousRewards[t])
                inputs.resets.append(s.resets[t])
            }
        }
        return inputs
    }

    /// One learner step on sampled sequences with their importance weights,
    /// `progress` (0…1) through the run. Returns the statistics and each
    /// sequence's new priority.
    public func step(_ sequences: [ReplaySequence], weights: [Float], progress: Double = 0) throws
        -> (statistics: R2D2StepStatistics, priorities: [Float]) {
        let B = sequences.count, A = online.actions
        let L = sequences.first?.length ?? 0, burnIn = settings.burnIn, m = L - burnIn
        require(B > 0 && weights.count == B && m >= 2 && sequences.allSatisfy { $0.length == L },
                "R2D2Learner.step: \(B) sequences of length \(L) (burn-in \(burnIn)) and \(weights.count) weights")
        let stateSize = online.stateSize
        var initial: [Float] = []
        if stateSize > 0 {
            initial.reserveCapacity(B * stateSize)
            for s in sequences { initial += s.initialState.count == stateSize ? s.initialState : [Float](repeating: 0, count: stateSize) }
        }
        // Burn-in: both networks warm up their state; no gradients.
        var onlineState = initial, targetState = initial
        if burnIn > 0, stateSize > 0 {
            let warm = inputs(sequences, 0..<burnIn, initialState: initial)
            try withoutGradients {
                onlineState = try online.unroll(warm, device: device).state!.hostScalars()
                var targetWarm = warm
                targetWarm.initialState = initial
                targetState = try target.unroll(targetWarm, device: device).state!.hostScalars()
            }
        }
        let train = inputs(sequences, burnIn..<L, initialState: onlineState)
        var targetInputs = train
        targetInputs.initialState = targetState
        let targetQ = try withoutGradients { try target.unroll(targetInputs, device: device).q.hostScalars() }

        // The training part, time-major [m, B].
        var rewards = [Float](repeating: 0, count: m * B), discounts = rewards, mask = rewards
        var actions = [Int](repeating: 0, count: (m - 1) * B)
        for t in 0..<m {
            for (b, s) in sequences.enumerated() {
                rewards[t * B + b] = s.rewards[burnIn + t]
                discounts[t * B + b] = s.discounts[burnIn + t]
                mask[t * B + b] = s.mask[burnIn + t]
                if t < m - 1 { actions[t * B + b] = max(0, s.actions[burnIn + t]) }
            }
        }
        // Per-sequence weights over its real transitions: w_b / (count_b · B).
        var counts = [Float](repeating: 0, count: B)
        for t in 0..<(m - 1) { for b in 0..<B { counts[b] += mask[t * B + b] } }
        var coefficients = [Float](repeating: 0, count: (m - 1) * B)
        for t in 0..<(m - 1) {
            for b in 0..<B where counts[b] > 0 { coefficients[t * B + b] = mask[t * B + b] * weights[b] / (counts[b] * Float(B)) }
        }

        let tape = GradientTape()
        var tdErrors: [Float] = [], hostQ: [Float] = []
        let loss = try tape.record { () throws -> Tensor in
            let q = try online.unroll(train, device: device).q  // [m, B, A]
            hostQ = try q.hostScalars()
            let y = nStepDoubleQTargets(rewards: rewards, discounts: discounts, onlineQ: hostQ, targetQ: targetQ,
                                        steps: m, batchSize: B, actions: A, n: settings.nSteps,
                                        rescale: settings.valueRescaling, epsilon: settings.rescalingEpsilon, mask: mask)
            let taken = q.reshaped([m * B, A]).slice(axis: 0, 0..<((m - 1) * B)).gather(lastAxis: actions)
            let takenHost = try taken.hostScalars()
            tdErrors = zip(y, takenHost).map { $0 - $1 }
            let difference = try Tensor(y, shape: [(m - 1) * B]).to(device) - taken
            return (difference.square() * (try Tensor(coefficients, shape: [(m - 1) * B]).to(device))).sum() * 0.5
        }
        let (gradients, norm) = clipByGlobalNormIfPositive(tape.gradients(of: loss, wrt: trainable),
                                                           maxNorm: settings.maxGradientNorm)
        let lossValue = try loss.hostScalars()[0]
        var statistics = R2D2StepStatistics()
        statistics.gradientNorm = Double(norm)
        statistics.loss = Double(lossValue)
        guard nonFinite.admit(loss: lossValue, gradientNorm: norm) else {
            // Skipped: no step, and no priorities (NaN ones would poison the sum tree).
            statistics.skipped = true
            return (statistics, [])
        }
        optimizer.learningRate = settings.learningRate * (settings.annealLearningRate ? Float(max(0, 1 - progress)) : 1)
        optimizer.step(gradients)
        version += 1
        if version % settings.targetUpdatePeriod == 0 { try target.copyParameters(from: online) }
        try device.synchronize()

        var priorities: [Float] = []
        var errorSum = 0.0, errorCount = 0.0
        for b in 0..<B {
            var errors: [Float] = []
            for t in 0..<(m - 1) where mask[t * B + b] > 0 { errors.append(abs(tdErrors[t * B + b])) }
            priorities.append(sequencePriority(errors, eta: settings.priorityEta))
            errorSum += Double(errors.reduce(0, +))
            errorCount += Double(errors.count)
        }
        statistics.meanAbsoluteTDError = errorSum / max(errorCount, 1)
        statistics.meanQ = Double(hostQ.reduce(0, +)) / Double(max(hostQ.count, 1))
        return (statistics, priorities)
    }

    /// A new sequence's priority from the acting network's Q values (R2D2
    /// §2.3: priorities start from the actors' own TD errors), with the same
    /// targets as the learner but the acting Q as both networks.
    public func initialPriority(_ s: ReplaySequence) -> Float {
        let A = online.actions, burnIn = settings.burnIn, L = s.length, m = L - burnIn
        guard m >= 2 else { return 1 }
        let q = Array(s.actingQ[(burnIn * A)..<(L * A)])
        let y = nStepDoubleQTargets(rewards: Array(s.rewards[burnIn...]), discounts: Array(s.discounts[burnIn...]), onlineQ: q, targetQ: q,
                                    steps: m, batchSize: 1, actions: A, n: settings.nSteps,
                                    rescale: settings.valueRescaling, epsilon: settings.rescalingEpsilon,
                                    mask: Array(s.mask[burnIn...]))
        var errors: [Float] = []
        for t in 0..<(m - 1) where s.mask[burnIn + t] > 0 {
            errors.append(abs(y[t] - q[t * A + max(0, s.actions[burnIn + t])]))
        }
        return sequencePriority(errors, eta: settings.priorityEta)
    }
}
