import HerdCore

/// The bounds of a Box action space, or a programmer error for any other.
private func boxBounds(_ space: Space, _ wrapper: String) -> (low: [Float], high: [Float]) {
    guard case let .box(low, high, _) = space, low.allSatisfy(\.isFinite), high.allSatisfy(\.isFinite) else {
        requirementFailure("\(wrapper) needs a bounded Box action space, got \(space)")
    }
    return (low, high)
}

/// Maps actions from `[low, high]` (default [−1, 1]) linearly onto the wrapped
/// environment's Box bounds (Gymnasium's `RescaleAction`). Actions outside
/// `[low, high]` are an error, as in Gymnasium.
public final class RescaleAction: Wrapper {
    private let from: (low: [Float], high: [Float])
    private let to: (low: [Float], high: [Float])
    private var scratch: [Float]

    public init(_ inner: Environment, low: Float = -1, high: Float = 1) {
        require(low < high, "RescaleAction: low \(low) must be below high \(high)")
        to = boxBounds(inner.actionSpace, "RescaleAction")
        from = ([Float](repeating: low, count: to.low.count), [Float](repeating: high, count: to.low.count))
        scratch = [Float](repeating: 0, count: to.low.count)
        super.init(inner)
    }

    public override var actionSpace: Space { .box(low: from.low, high: from.high, shape: inner.actionSpace.shape) }

    public override func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        guard actionSpace.contains(action) else {
            throw EnvironmentError.invalidAction(environment: name, action: Array(action), space: actionSpace.description)
        }
        for i in 0..<scratch.count {
            scratch[i] = to.low[i] + (action[i] - from.low[i]) * (to.high[i] - to.low[i]) / (from.high[i] - from.low[i])
        }
        return try scratch.withUnsafeBufferPointer { try super.step($0, into: observation) }
    }
}

/// Clips actions to the wrapped environment's Box bounds (Gymnasium's
/// `ClipAction`), so an unbounded Gaussian policy can act; its own action
/// space becomes unbounded.
public final class ClipAction: Wrapper {
    private let bounds: (low: [Float], high: [Float])
    private var scratch: [Float]

    public override init(_ inner: Environment) {
        bounds = boxBounds(inner.actionSpace, "ClipAction")
        scratch = [Float](repeating: 0, count: bounds.low.count)
        super.init(inner)
    }

    public override var actionSpace: Space { .box(low: -.infinity, high: .infinity, shape: inner.actionSpace.shape) }

    public override func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        guard action.count == scratch.count else {
            throw EnvironmentError.invalidAction(environment: name, action: Array(action), space: actionSpace.description)
        }
        for i in 0..<scratch.count { scratch[i] = min(max(action[i], bounds.low[i]), bounds.high[i]) }
        return try scratch.withUnsafeBufferPointer { try super.step($0, into: observation) }
    }
}
