/// Streaming estimates of mean and variance with BatchPPO's semantics
/// (`agents/parts/normalize.py`, `StreamingNormalize`), per component:
///
/// - update with a value `v`: `count += 1`, `mean' = mean + (v − mean)/count`
///   (the first value becomes the mean), `varSum += (v − mean)(v − mean')`;
/// - `std = √(varSum / (count − 1) + 1e-4)` (the 1e-4 guards small negative
///   variances, as BatchPPO chose);
/// - transform: subtract the mean if centring, divide by `std + 1e-8` if
///   scaling and at least two values were seen, clip to `±clip`.
///
/// Kept in Double. ``State`` is what a checkpoint saves.
public struct StreamingNormalizer: Sendable {
    /// Everything needed to resume the estimates.
    public struct State: Codable, Equatable, Sendable {
        public var count: Int
        public var mean: [Double]
        public var varianceSum: [Double]

        public init(count: Int, mean: [Double], varianceSum: [Double]) {
            self.count = count
            self.mean = mean
            self.varianceSum = varianceSum
        }
    }

    public private(set) var state: State
    public let center: Bool
    public let scale: Bool
    /// Clip bound after normalising; `nil` for none.
    public let clip: Double?

    public init(size: Int, center: Bool, scale: Bool, clip: Double?) {
        state = State(count: 0, mean: [Double](repeating: 0, count: size), varianceSum: [Double](repeating: 0, count: size))
        self.center = center
        self.scale = scale
        self.clip = clip
    }

    /// Restores saved estimates; the size must match.
    public mutating func restore(_ saved: State) throws {
        guard saved.mean.count == state.mean.count, saved.varianceSum.count == state.mean.count, saved.count >= 0 else {
            throw EnvironmentError.invalidState(environment: "StreamingNormalizer",
                                                message: "saved statistics have \(saved.mean.count) components, expected \(state.mean.count)")
        }
        state = saved
    }

    /// Current standard deviation estimate (defined from two values on).
    public var standardDeviation: [Double] {
        state.varianceSum.map { (state.count > 1 ? $0 / Double(state.count - 1) : .nan) + 1e-4 }.map { $0.squareRoot() }
    }

    /// Adds one value.
    public mutating func update(_ value: UnsafeBufferPointer<Float>) {
        state.count += 1
        let n = Double(state.count)
        for i in 0..<state.mean.count {
            let v = Double(value[i])
            let old = state.mean[i]
            let new = state.count > 1 ? old + (v - old) / n : v
            state.varianceSum[i] += (v - old) * (v - new)
            state.mean[i] = new
        }
    }

    /// What ``transform(_:)`` does before clipping, per element, for code
    /// that lays the normaliser out elsewhere (exported policies): `(x − mean) / divisor`,
    /// with mean 0 when not centring and divisor 1 when not scaling (or before two values).
    public var affine: (mean: [Double], divisor: [Double]) {
        let n = state.mean.count
        let std = scale && state.count > 1 ? standardDeviation : nil
        return (center ? state.mean : Array(repeating: 0, count: n), std.map { $0.map { $0 + 1e-8 } } ?? Array(repeating: 1, count: n))
    }

    /// Normalises `value` in place with the current estimates.
    public func transform(_ value: UnsafeMutableBufferPointer<Float>) {
        let std = scale && state.count > 1 ? standardDeviation : nil
        for i in 0..<state.mean.count {
            var v = Double(value[i])
            if center { v -= state.mean[i] }
            if let std { v /= std[i] + 1e-8 }
            if let clip { v = min(max(v, -clip), clip) }
            value[i] = Float(v)
        }
    }
}

/// Normalises observations by streaming mean and standard deviation
/// (BatchPPO's observation filter: centred, scaled, clipped to ±5 by
/// default). Each observation is transformed with the estimates so far and
/// then, while ``updating`` is on, added to them, as BatchPPO orders it.
/// Turn updating off for evaluation; save ``statistics`` in checkpoints.
public final class NormalizeObservation: Wrapper {
    private var normalizer: StreamingNormalizer
    private var raw: [Float]
    /// Whether new observations update the estimates.
    public var updating = true

    public init(_ inner: Environment, clip: Double? = 5) {
        normalizer = StreamingNormalizer(size: inner.observationSpace.flatCount, center: true, scale: true, clip: clip)
        raw = [Float](repeating: 0, count: inner.observationSpace.flatCount)
        super.init(inner)
    }

    public override var observationSpace: Space {
        let bound = Float(normalizer.clip ?? .infinity)
        return .box(low: -bound, high: bound, shape: inner.observationSpace.shape)
    }

    /// The estimates, for checkpoints.
    public var statistics: StreamingNormalizer.State {
        get { normalizer.state }
    }

    public func restore(_ statistics: StreamingNormalizer.State) throws { try normalizer.restore(statistics) }

    public override func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        super.reset(seed: seed, into: observation)
        normalize(observation)
    }

    public override func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        let outcome = try super.step(action, into: observation)
        normalize(observation)
        return outcome
    }

    private func normalize(_ observation: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<raw.count { raw[i] = observation[i] }
        normalizer.transform(observation)
        if updating { raw.withUnsafeBufferPointer { normalizer.update($0) } }
    }
}

/// Scales rewards by their streaming standard deviation, without centring,
/// clipped to ±10 (BatchPPO's reward filter). Transform first, then update,
/// as for observations.
public final class ScaleReward: Wrapper {
    private var normalizer: StreamingNormalizer
    public var updating = true

    public init(_ inner: Environment, clip: Double? = 10) {
        normalizer = StreamingNormalizer(size: 1, center: false, scale: true, clip: clip)
        super.init(inner)
    }

    public var statistics: StreamingNormalizer.State { normalizer.state }
    public func restore(_ statistics: StreamingNormalizer.State) throws { try normalizer.restore(statistics) }

    public override func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        var outcome = try super.step(action, into: observation)
        let raw = [Float(outcome.reward)]
        var scaled = raw
        scaled.withUnsafeMutableBufferPointer { normalizer.transform($0) }
        outcome.reward = Double(scaled[0])
        if updating { raw.withUnsafeBufferPointer { normalizer.update($0) } }
        return outcome
    }
}
