import Foundation
import HerdCore
import HerdTensor

/// How the standard deviation of a Gaussian policy is produced.
public enum StandardDeviation: String, Sendable, CaseIterable {
    /// A learned, state-independent log σ per action dimension (BatchPPO's
    /// `logstd` variable), initialised to `log(initialStd)`.
    case learnedLogStd = "learned_log_std"
    /// σ = softplus(head output + softplus⁻¹(initialStd)), state-dependent.
    case softplus
}

/// Shape of the policy and value networks.
public struct NetworkSettings: Equatable, Sendable {
    /// Hidden layer widths of each torso (BatchPPO: 200, 100; CleanRL: 64, 64).
    public var hiddenSizes = [64, 64]
    public var activation = Activation.tanh
    /// One torso for both heads instead of two networks.
    public var shared = false
    /// Gaussian policies: squash the mean with tanh into [−1, 1] (actions are
    /// rescaled to the environment's bounds outside the network).
    public var tanhMean = true
    public var standardDeviation = StandardDeviation.learnedLogStd
    /// Initial σ of Gaussian policies.
    public var initialStd: Float = 1
    /// Image observations `[C, H, W]`: output channels of a convolutional
    /// torso shared by both heads, before the MLP torsos (empty: none).
    public var convChannels: [Int] = []
    /// Kernel size and stride of each convolution (one entry, or one per layer).
    public var convKernels: [Int] = [3]
    public var convStrides: [Int] = [1]
    /// `same` pads each convolution by `kernel / 2`; `valid` does not pad
    /// (the Nature DQN's and MinAtar's torsos).
    public var convPadding = ConvPadding.same
    /// Factor applied to observations before the first convolution (1/255
    /// for byte frames, as DQN and CleanRL scale them).
    public var inputScale: Float = 1

    public init() {}

    /// The Nature DQN torso (Mnih et al. 2015, "Human-level control through
    /// deep reinforcement learning", Methods: 32 8×8 stride 4, 64 4×4
    /// stride 2, 64 3×3 stride 1, all unpadded, then 512 units; ReLU).
    public static var nature: NetworkSettings {
        var s = NetworkSettings()
        s.convChannels = [32, 64, 64]
        s.convKernels = [8, 4, 3]
        s.convStrides = [4, 2, 1]
        s.convPadding = .valid
        s.hiddenSizes = [512]
        s.activation = .relu
        s.shared = true
        return s
    }

    /// MinAtar's torso (Young & Tian 2019, §4: 16 3×3 stride 1 unpadded,
    /// then 128 units; ReLU).
    public static var minAtar: NetworkSettings {
        var s = NetworkSettings()
        s.convChannels = [16]
        s.convKernels = [3]
        s.convStrides = [1]
        s.convPadding = .valid
        s.hiddenSizes = [128]
        s.activation = .relu
        s.shared = true
        return s
    }
}

/// How a convolutional torso pads its inputs.
public enum ConvPadding: String, Sendable, CaseIterable {
    /// `kernel / 2` on each side (the output keeps the size at stride 1).
    case same
    /// None.
    case valid

    func amount(kernel: Int) -> Int { self == .same ? kernel / 2 : 0 }
}

/// A policy and a value function over flat observations `[B, n]`: two MLP
/// torsos (or one shared), a policy head (logits, or a Gaussian mean and σ)
/// and a scalar value head. Hidden layers are orthogonal with gain √2, the
/// policy output with gain 0.01 and the value output with gain 1 (the
/// initialisation of CleanRL and OpenAI Baselines' PPO).
public final class ActorCritic: Layer {
    public let head: ActionHead
    public let settings: NetworkSettings
    let conv: ConvTorso?
    let policyTorso: MLP?
    let valueTorso: MLP?
    let policyOutput: Linear
    let valueOutput: Linear
    var logStd: Tensor?
    let stdOffset: Float

    /// `observationShape` (the environment's, e.g. `[1, 10, 5]`) is needed
    /// only by a convolutional torso; a rank-2 shape is one channel.
    public init(observationSize: Int, observationShape: [Int]? = nil, head: ActionHead, settings: NetworkSettings,
                using rng: inout RandomGenerator) {
        require(observationSize > 0, "ActorCritic: observation size must be positive")
        self.head = head
        self.settings = settings
        let conv = settings.convChannels.isEmpty ? nil
            : ConvTorso(observationShape: observationShape ?? [], settings: settings, using: &rng)
        let featureSize = conv?.outputSize ?? observationSize
        self.conv = conv
        let hidden = settings.hiddenSizes
        let torsoOut = hidden.last ?? featureSize
        func torso() -> MLP? {
            hidden.isEmpty ? nil : MLP(sizes: [featureSize] + hidden, activation: settings.activation,
                                       outputActivation: settings.activation, initializer: .orthogonal(gain: Float(2).squareRoot()),
                                       using: &rng)
        }
        policyTorso = torso()
        valueTorso = settings.shared ? nil : torso()
        var policyWidth = head.parameterCount
        if case .gaussian(let d) = head, settings.standardDeviation == .learnedLogStd { policyWidth = d }
        policyOutput = Linear(torsoOut, policyWidth, initializer: .orthogonal(gain: 0.01), using: &rng)
        valueOutput = Linear(torsoOut, 1, initializer: .orthogonal(gain: 1), using: &rng)
        let std = Double(settings.initialStd)
        require(std > 0, "ActorCritic: initial std must be positive")
        stdOffset = Float(std > 20 ? std : Foundation.log(Foundation.expm1(std)))
        if case .gaussian(let d) = head, settings.standardDeviation == .learnedLogStd {
            let parameter = Tensor.full([d], Float(Foundation.log(std)))
            parameter.requiresGradient = true
            logStd = parameter
        }
    }

    /// The action distribution and value for observations `[B, n]`; values `[B]`.
    public func callAsFunction(_ observations: Tensor) -> (policy: PolicyDistribution, value: Tensor) {
        let observations = features(observations)
        let policyFeatures = policyTorso.map { $0(observations) } ?? observations
        let valueFeatures = settings.shared ? policyFeatures : (valueTorso.map { $0(observations) } ?? observations)
        return (distribution(policyOutput(policyFeatures)), value(fromFeatures: valueFeatures))
    }

    /// The action distribution alone (skips the value network when it is separate).
    public func policy(_ observations: Tensor) -> PolicyDistribution {
        let observations = features(observations)
        return distribution(policyOutput(policyTorso.map { $0(observations) } ?? observations))
    }

    /// The convolutional torso's flattened output for `[B, n]` observations
    /// (the observations themselves without one).
    private func features(_ observations: Tensor) -> Tensor { conv.map { $0(observations) } ?? observations }

    /// Values alone, `[B]` (skips the policy network when it is separate).
    public func value(_ observations: Tensor) -> Tensor {
        let observations = features(observations)
        let torso = settings.shared ? policyTorso : valueTorso
        return value(fromFeatures: torso.map { $0(observations) } ?? observations)
    }

    private func value(fromFeatures features: Tensor) -> Tensor {
        let v = valueOutput(features)
        return v.reshaped([v.shape[0]])
    }

    private func distribution(_ output: Tensor) -> PolicyDistribution {
        switch head {
        case .categorical:
            return .categorical(Categorical(logits: output))
        case let .gaussian(d):
            let rawMean = settings.standardDeviation == .learnedLogStd ? output : output.slice(axis: 1, 0..<d)
            let mean = settings.tanhMean ? rawMean.tanh() : rawMean
            if let logStd {
                return .gaussian(DiagonalGaussian(mean: mean, logStd: logStd.broadcasted(to: mean.shape)))
            }
            let std = (output.slice(axis: 1, d..<(2 * d)) + stdOffset).softplus() + 1e-6
            return .gaussian(DiagonalGaussian(mean: mean, logStd: std.log()))
        }
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try conv?.visitParameters { name, t in try body("conv.\(name)", &t) }
        try policyTorso?.visitParameters { name, t in try body("policy_torso.\(name)", &t) }
        try valueTorso?.visitParameters { name, t in try body("value_torso.\(name)", &t) }
        try policyOutput.visitParameters { name, t in try body("policy_head.\(name)", &t) }
        try valueOutput.visitParameters { name, t in try body("value_head.\(name)", &t) }
        if var parameter = logStd {
            try body("log_std", &parameter)
            logStd = parameter
        }
    }
}
