/// Keeps non-finite gradient steps out of the parameters.
///
/// A learner asks ``admit(loss:gradientNorm:)`` before each optimizer step:
/// a NaN or infinite loss, or a non-finite global gradient norm (one bad
/// element is enough to make it so), skips the step, so the parameters and
/// the optimizer's moments stay as they were. The guard counts skips in all
/// and in a row; the trainer stops the run when the row grows too long
/// (``TrainConfig/maxConsecutiveNonFinite``), with a checkpoint it wrote at
/// the first skip of the row, whose parameters are therefore those from
/// before the first bad step.
public struct NonFiniteGuard: Sendable, Equatable {
    /// Steps skipped since the learner was made.
    public private(set) var skipped = 0
    /// Steps skipped since the last one applied.
    public private(set) var consecutive = 0

    public init() {}

    /// Whether a step with this loss and gradient norm may be applied;
    /// counts it when not.
    public mutating func admit(loss: Float, gradientNorm: Float) -> Bool {
        guard loss.isFinite, gradientNorm.isFinite else {
            skipped += 1
            consecutive += 1
            return false
        }
        consecutive = 0
        return true
    }
}
