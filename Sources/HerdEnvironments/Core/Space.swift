import HerdCore
/// The set of valid observations or actions of an environment.
///
/// Observations and actions travel as flat `Float` buffers in row-major order:
/// a `Discrete` action is one element holding the index; a `Box` value has
/// `shape.reduce(1, *)` elements.
public enum Space: Equatable, Sendable, CustomStringConvertible {
    /// The integers `0 ..< n`.
    case discrete(Int)
    /// Real vectors of `shape` with elementwise bounds (±∞ allowed).
    case box(low: [Float], high: [Float], shape: [Int])

    /// A box with the same bounds for every element.
    public static func box(low: Float, high: Float, shape: [Int]) -> Space {
        let n = shape.reduce(1, *)
        return .box(low: [Float](repeating: low, count: n), high: [Float](repeating: high, count: n), shape: shape)
    }

    /// Elements in one flat value.
    public var flatCount: Int {
        switch self {
        case .discrete: return 1
        case let .box(_, _, shape): return shape.reduce(1, *)
        }
    }

    /// The value's shape: `[]` for discrete.
    public var shape: [Int] {
        switch self {
        case .discrete: return []
        case let .box(_, _, shape): return shape
        }
    }

    /// Whether `value` lies in the space (discrete: a whole number in range).
    public func contains(_ value: UnsafeBufferPointer<Float>) -> Bool {
        guard value.count == flatCount else { return false }
        switch self {
        case let .discrete(n):
            let x = value[0]
            return x == x.rounded() && x >= 0 && x < Float(n)
        case let .box(low, high, _):
            for i in 0..<value.count where !(value[i] >= low[i] && value[i] <= high[i]) { return false }
            return true
        }
    }

    public func contains(_ value: [Float]) -> Bool { value.withUnsafeBufferPointer { contains($0) } }

    /// Whether an environment takes `action` at all: a discrete action must be
    /// a whole number in range; a Box action must have the right count of
    /// finite values (its bounds are the environment's to clip, as Gymnasium
    /// clips them). Every place that validates actions (environments, worker
    /// groups, the pool) asks this.
    public func accepts(_ action: UnsafeBufferPointer<Float>) -> Bool {
        switch self {
        case let .discrete(n):
            guard action.count == 1 else { return false }
            let x = action[0]
            return x >= 0 && x < Float(n) && x == x.rounded(.towardZero)
        case .box:
            return action.count == flatCount && action.allSatisfy(\.isFinite)
        }
    }

    /// A uniform random element (for a box, each coordinate uniform in its
    /// bounds; unbounded coordinates draw from 𝒩(0, 1), as Gymnasium does).
    public func sample(using rng: inout RandomGenerator) -> [Float] {
        switch self {
        case let .discrete(n):
            return [Float(rng.next() % UInt64(n))]
        case let .box(low, high, _):
            return zip(low, high).map { lo, hi in
                if lo.isFinite, hi.isFinite { return lo + (hi - lo) * Float(rng.nextUniform()) }
                return Float(rng.nextNormal())
            }
        }
    }

    /// Gymnasium's notation: `Discrete(2)`, `Box(-1.0, 1.0, (1,), float32)`.
    public var description: String {
        switch self {
        case let .discrete(n):
            return "Discrete(\(n))"
        case let .box(low, high, shape):
            func bound(_ values: [Float]) -> String {
                if let first = values.first, values.allSatisfy({ $0 == first }) { return format(first) }
                return "[" + values.map(format).joined(separator: " ") + "]"
            }
            let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
            return "Box(\(bound(low)), \(bound(high)), \(dims), float32)"
        }
    }

    private func format(_ x: Float) -> String {
        if x == .infinity { return "inf" }
        if x == -.infinity { return "-inf" }
        return "\(x)"
    }
}


/// An environment's observation and action spaces: what a stored policy
/// needs to be rebuilt, known from a built-in environment or from what a
/// pool's workers declared (``init(observationShape:actionSize:discreteActions:)``).
public struct EnvironmentSpaces: Sendable, Equatable {
    public var observation: Space
    public var action: Space

    public init(observation: Space, action: Space) {
        self.observation = observation
        self.action = action
    }

    public init(_ environment: Environment) {
        self.init(observation: environment.observationSpace, action: environment.actionSpace)
    }

    /// Spaces as workers declare them at `ready`: the bounds are not sent,
    /// so Box spaces are unbounded (actions then pass to the workers as the
    /// policy gives them, as in training on such a pool).
    public init(observationShape: [Int], actionSize: Int, discreteActions: Int?) {
        let n = observationShape.reduce(1, *)
        let shape = observationShape.isEmpty ? [1] : observationShape
        observation = .box(low: Array(repeating: -.infinity, count: n), high: Array(repeating: .infinity, count: n), shape: shape)
        action = discreteActions.map { .discrete($0) }
            ?? .box(low: Array(repeating: -.infinity, count: actionSize), high: Array(repeating: .infinity, count: actionSize), shape: [actionSize])
    }
}
