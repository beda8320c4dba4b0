import Foundation
import HerdCore

/// Per-environment unroll assembly on the learner side, as SEED RL's
/// `UnrollStore`: each environment's steps accumulate until the unroll holds
/// `length + overlap` of them; the unroll is handed out and its last
/// `overlap` steps become the first of the next one. With `overlap = 1`
/// (V-trace) every unroll has `T + 1` steps and step `T` of one is step 0 of
/// the next, so the learner sees each transition once and always has the
/// bootstrap step.
///
/// Unrolls run straight across episode boundaries: a step carries its own
/// done flags, and the learner turns them into zero discounts. Nothing is
/// cut or padded.
///
/// When a worker restarts (or vanishes), ``discard(environment:)`` drops its
/// environments' partial unrolls: the steps after the restart belong to new
/// episodes on a new process, and a stitched unroll would pair an old
/// bootstrap with a new observation. Dropped unrolls and steps are counted.
public struct UnrollStore<Step> {
    /// New steps per unroll (`T`).
    public let length: Int
    /// Steps an unroll shares with the next (1 for V-trace).
    public let overlap: Int
    private var partial: [[Step]]
    /// Steps at the head of each partial unroll carried over from the previous one.
    private var carried: [Int]
    /// Partial unrolls dropped by ``discard(environment:)`` that held new steps.
    public private(set) var discardedUnrolls = 0
    /// New (not carried-over) steps in them.
    public private(set) var discardedSteps = 0
    /// Unrolls handed out so far.
    public private(set) var completedUnrolls = 0

    public init(environments: Int, length: Int, overlap: Int = 1) {
        require(environments > 0 && length > 0 && overlap >= 0, "UnrollStore: environments and length must be positive, overlap ≥ 0")
        self.length = length
        self.overlap = overlap
        partial = Array(repeating: [], count: environments)
        carried = Array(repeating: 0, count: environments)
        for i in partial.indices { partial[i].reserveCapacity(length + overlap) }
    }

    public var environments: Int { partial.count }

    /// Adds one step of `environment`; returns the finished unroll
    /// (`length + overlap` steps, oldest first) when this step completes one.
    public mutating func append(_ step: Step, environment: Int) -> [Step]? {
        partial[environment].append(step)
        guard partial[environment].count == length + overlap else { return nil }
        let unroll = partial[environment]
        partial[environment].removeFirst(length)
        carried[environment] = overlap
        completedUnrolls += 1
        return unroll
    }

    /// Drops `environment`'s partial unroll; its next step starts a fresh one.
    public mutating func discard(environment: Int) {
        let fresh = partial[environment].count - carried[environment]
        if fresh > 0 {
            discardedUnrolls += 1
            discardedSteps += fresh
        }
        partial[environment].removeAll(keepingCapacity: true)
        carried[environment] = 0
    }

    /// Steps held for `environment` now (carried-over ones included).
    public func pendingSteps(environment: Int) -> Int { partial[environment].count }
}
