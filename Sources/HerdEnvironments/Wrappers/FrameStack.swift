import HerdCore

/// Stacks the last `count` observations along a new leading axis, oldest
/// first (Gymnasium's `FrameStackObservation` with its default
/// `padding_type="reset"`: after a reset every slot holds the first
/// observation). Observation shape: `[count] + inner shape`.
public final class FrameStack: Wrapper {
    public override var keepsObservationValues: Bool { true }
    public let count: Int
    private let frameSize: Int
    private var frames: [Float]
    private var latest: [Float]

    public init(_ inner: Environment, count: Int) {
        require(count >= 1, "FrameStack needs at least one frame, got \(count)")
        self.count = count
        frameSize = inner.observationSpace.flatCount
        frames = [Float](repeating: 0, count: count * frameSize)
        latest = [Float](repeating: 0, count: frameSize)
        super.init(inner)
    }

    public override var observationSpace: Space {
        switch inner.observationSpace {
        case let .box(low, high, shape):
            return .box(low: Array([[Float]](repeating: low, count: count).joined()),
                        high: Array([[Float]](repeating: high, count: count).joined()), shape: [count] + shape)
        case let .discrete(n):
            return .box(low: 0, high: Float(n - 1), shape: [count])
        }
    }

    public override func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        latest.withUnsafeMutableBufferPointer { super.reset(seed: seed, into: $0) }
        for slot in 0..<count { frames.replaceSubrange((slot * frameSize)..<((slot + 1) * frameSize), with: latest) }
        copyOut(observation)
    }

    public override func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        let outcome = try latest.withUnsafeMutableBufferPointer { try super.step(action, into: $0) }
        frames.removeFirst(frameSize)
        frames.append(contentsOf: latest)
        copyOut(observation)
        return outcome
    }

    private func copyOut(_ observation: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<frames.count { observation[i] = frames[i] }
    }
}
