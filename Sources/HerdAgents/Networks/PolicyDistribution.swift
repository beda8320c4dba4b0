import HerdCore
import HerdTensor

/// What kind of actions a policy emits.
public enum ActionHead: Equatable, Sendable {
    /// One of `classes` actions; an action is one float holding the index.
    case categorical(classes: Int)
    /// A real vector of `dimension` values.
    case gaussian(dimension: Int)

    /// Floats per action.
    public var actionSize: Int {
        switch self {
        case .categorical: return 1
        case let .gaussian(dimension): return dimension
        }
    }

    /// Floats that describe one row's distribution (``PolicyDistribution/parameters``):
    /// the logits, or the mean followed by the log standard deviation.
    public var parameterCount: Int {
        switch self {
        case let .categorical(classes): return classes
        case let .gaussian(dimension): return 2 * dimension
        }
    }
}

/// A batch of action distributions, one per row, over the actions of an
/// ``ActionHead``. Actions are `[B, actionSize]` tensors.
public enum PolicyDistribution {
    case categorical(Categorical)
    case gaussian(DiagonalGaussian)

    /// Rebuilds a batch from saved ``parameters`` (`[B, parameterCount]`).
    public init(head: ActionHead, parameters: Tensor) {
        switch head {
        case let .categorical(classes):
            require(parameters.shape.last == classes, "PolicyDistribution: \(parameters.shape) for \(classes) classes")
            self = .categorical(Categorical(logits: parameters))
        case let .gaussian(d):
            require(parameters.shape.last == 2 * d, "PolicyDistribution: \(parameters.shape) for dimension \(d)")
            self = .gaussian(DiagonalGaussian(mean: parameters.slice(axis: 1, 0..<d),
                                              logStd: parameters.slice(axis: 1, d..<(2 * d))))
        }
    }

    /// The distribution's parameters as one `[B, parameterCount]` tensor.
    public var parameters: Tensor {
        switch self {
        case let .categorical(c): return c.logits
        case let .gaussian(g):
            let logStd = g.logStd.rank == 1 ? g.logStd.broadcasted(to: g.mean.shape) : g.logStd
            return Tensor.concat([g.mean, logStd], axis: 1)
        }
    }

    /// `log π(a)`, `[B]`.
    public func logProbability(of actions: Tensor) throws -> Tensor {
        switch self {
        case let .categorical(c):
            return c.logProbability(of: try actions.hostScalars().map { Int($0) })
        case let .gaussian(g):
            return g.logProbability(of: actions.stopGradient())
        }
    }

    /// Entropy per row, `[B]`.
    public func entropy() -> Tensor {
        switch self {
        case let .categorical(c): return c.entropy()
        case let .gaussian(g): return g.entropy()
        }
    }

    /// `KL(self ‖ other)` per row, `[B]`; both must be of the same kind.
    public func kl(to other: PolicyDistribution) -> Tensor {
        switch (self, other) {
        case let (.categorical(a), .categorical(b)): return a.kl(to: b)
        case let (.gaussian(a), .gaussian(b)): return a.kl(to: b)
        default: requirementFailure("kl between a categorical and a Gaussian policy")
        }
    }

    /// One action per row drawn with `rng`, as host floats `[B · actionSize]`.
    public func sample(using rng: inout RandomGenerator) throws -> [Float] {
        switch self {
        case let .categorical(c): return c.sample(using: &rng).map(Float.init)
        case let .gaussian(g): return try withoutGradients { g.sample(using: &rng) }.hostScalars()
        }
    }

    /// The most likely action per row, as host floats `[B · actionSize]`.
    public func mode() throws -> [Float] {
        switch self {
        case let .categorical(c): return c.mode().map(Float.init)
        case let .gaussian(g): return try g.mode().hostScalars()
        }
    }
}

extension Tensor {
    /// The values, copied to the host first when the tensor lives on an
    /// accelerator (a counted transfer).
    public func hostScalars() throws -> [Float] { try to(.cpu).scalars }
}
