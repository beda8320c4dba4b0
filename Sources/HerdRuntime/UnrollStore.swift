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

/// A bounded first-in-first-out queue between threads: ``put(_:timeout:)``
/// blocks while it is full, which is how a learner that falls behind slows
/// the inference loop down instead of letting unrolls pile up in memory
/// (back-pressure). Counts how often and how long producers waited.
public final class BoundedQueue<Element>: @unchecked Sendable {
    public let capacity: Int
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    private let condition = NSCondition()
    private var _blockedPuts = 0
    private var _blockedSeconds = 0.0

    public init(capacity: Int) {
        require(capacity > 0, "BoundedQueue: capacity must be positive")
        self.capacity = capacity
    }

    /// Items waiting now.
    public var count: Int { condition.withLock { items.count - head } }
    /// Puts that had to wait for room.
    public var blockedPuts: Int { condition.withLock { _blockedPuts } }
    /// Total time producers spent waiting for room.
    public var blockedSeconds: Double { condition.withLock { _blockedSeconds } }

    /// Appends `item`, waiting up to `timeout` seconds for room. Returns
    /// false (and drops nothing already queued) on timeout or when closed.
    @discardableResult
    public func put(_ item: Element, timeout: Double = .infinity) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if items.count - head >= capacity, !closed {
            _blockedPuts += 1
            let start = Date()
            let deadline = timeout.isFinite ? start.addingTimeInterval(timeout) : nil
            while items.count - head >= capacity, !closed {
                if !wait(until: deadline) { break }
            }
            _blockedSeconds += Date().timeIntervalSince(start)
        }
        guard !closed, items.count - head < capacity else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The oldest item, waiting up to `timeout` seconds for one; nil on
    /// timeout, or when closed and empty.
    public func take(timeout: Double = .infinity) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = timeout.isFinite ? Date().addingTimeInterval(timeout) : nil
        while items.count == head, !closed {
            if !wait(until: deadline) { break }
        }
        guard items.count > head else { return nil }
        let item = items[head]
        head += 1
        if head > 64, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// Waits on the condition (locked) until signalled or `deadline`; false
    /// on timeout. No deadline waits without one (Foundation on Linux traps
    /// converting `Date.distantFuture` to a timespec).
    private func wait(until deadline: Date?) -> Bool {
        guard let deadline else {
            condition.wait()
            return true
        }
        return condition.wait(until: deadline)
    }

    /// Wakes every waiter; later puts fail, takes drain what is left.
    public func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }
}
