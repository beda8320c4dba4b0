import Foundation

public struct InferenceSettings: Sendable {
    /// Most environments per inference batch (whole workers; at least one worker).
    public var maxBatchSize: Int
    /// Environments worth waiting for: a batch goes as soon as this many are
    /// ready, or at ``batchTimeout`` with whatever is ready.
    public var fullBatchSize: Int
    /// Seconds to wait for a full batch before acting on a partial one.
    public var batchTimeout: Double = 0.002
    /// `T`: new steps per unroll.
    public var unrollLength: Int = 20
    /// Steps an unroll repeats from the previous one: 1 for V-trace (the
    /// bootstrap step), 0 for a learner that takes a plain step stream (R2D2).
    public var unrollOverlap: Int = 1
    /// Finished unrolls waiting for the learner; the server blocks when full.
    public var queueCapacity: Int = 64

    public init(maxBatchSize: Int, fullBatchSize: Int? = nil) {
        self.maxBatchSize = maxBatchSize
        self.fullBatchSize = fullBatchSize ?? maxBatchSize
    }
}

