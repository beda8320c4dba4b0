import Foundation
import HerdCore

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
