import Foundation
import HerdCore

/// A minibatch of `N` transitions for ``SACLearner/update(_:)``, batch-first
/// and row-major (row `i` of every array is the same transition):
///
/// - `observations [N, observationSize]`: sₜ;
/// - `actions [N, actionSize]`: aₜ in the policy's [−1, 1] space;
/// - `rewards [N]`: rₜ;
/// - `nextObservations [N, observationSize]`: sₜ₊₁, the real successor
///   (an episode's last observation where it ended, not the next reset's);
/// - `terminations [N]`: 1 where the episode *terminated* at sₜ₊₁ (do not
///   bootstrap), 0 otherwise, including time-limit truncations.
public struct SACBatch: Sendable {
    public var size: Int
    public var observationSize: Int
    public var actionSize: Int
    public var observations: [Float]
    public var actions: [Float]
    public var rewards: [Float]
    public var nextObservations: [Float]
    public var terminations: [Float]

    public init(size: Int, observationSize: Int, actionSize: Int, observations: [Float], actions: [Float],
                rewards: [Float], nextObservations: [Float], terminations: [Float]) {
        require(observations.count == size * observationSize && nextObservations.count == size * observationSize
                    && actions.count == size * actionSize && rewards.count == size && terminations.count == size,
                "SACBatch: arrays do not hold \(size) transitions of observation size \(observationSize), action size \(actionSize)")
        self.size = size
        self.observationSize = observationSize
        self.actionSize = actionSize
        self.observations = observations
        self.actions = actions
        self.rewards = rewards
        self.nextObservations = nextObservations
        self.terminations = terminations
    }
}

/// Uniform experience replay of single transitions (Lin 1992; Mnih et al.
/// 2015), as SAC uses it: a fixed capacity, FIFO (the oldest transition is
/// overwritten once full), sampling uniformly with replacement (SB3's
/// `ReplayBuffer.sample`).
///
/// Storage is a ring of flat `[Float]` arrays, one row per transition
/// (observations `[capacity, observationSize]` and so on). The arrays grow
/// to the capacity as transitions arrive, so a large capacity costs memory
/// only once it is used.
public struct ReplayBuffer: Sendable {
    public let capacity: Int
    public let observationSize: Int
    public let actionSize: Int
    private var observations: [Float] = []
    private var actions: [Float] = []
    private var rewards: [Float] = []
    private var nextObservations: [Float] = []
    private var terminations: [Float] = []
    /// The slot the next transition goes to.
    private var next = 0
    /// Transitions stored now (at most `capacity`).
    public private(set) var count = 0
    /// Transitions added so far, overwritten ones included.
    public private(set) var inserted = 0

    public init(capacity: Int, observationSize: Int, actionSize: Int) {
        require(capacity > 0 && observationSize > 0 && actionSize > 0,
                "ReplayBuffer: capacity \(capacity), observation size \(observationSize), action size \(actionSize) must be positive")
        self.capacity = capacity
        self.observationSize = observationSize
        self.actionSize = actionSize
    }

    /// Stores one transition from each of `B` environments (`B = rewards.count`),
    /// in environment order: `observations` and `nextObservations` are
    /// `[B, observationSize]`, `actions` `[B, actionSize]` (in [−1, 1]),
    /// `terminations[b]` is true where environment `b` terminated (not where
    /// it was truncated: time limits bootstrap).
    public mutating func add(observations: [Float], actions: [Float], rewards: [Float], nextObservations: [Float],
                             terminations: [Bool]) {
        let (n, a) = (observationSize, actionSize)
        let b = rewards.count
        require(observations.count == b * n && nextObservations.count == b * n && actions.count == b * a && terminations.count == b,
                "ReplayBuffer.add: arrays do not hold \(b) transitions of observation size \(n), action size \(a)")
        for row in 0..<b {
            let slot = next
            let terminated: Float = terminations[row] ? 1 : 0
            if count < capacity {
                // Still filling: slots are appended in order (slot == count).
                self.observations.append(contentsOf: observations[(row * n)..<((row + 1) * n)])
                self.nextObservations.append(contentsOf: nextObservations[(row * n)..<((row + 1) * n)])
                self.actions.append(contentsOf: actions[(row * a)..<((row + 1) * a)])
                self.rewards.append(rewards[row])
                self.terminations.append(terminated)
                count += 1
            } else {
                for k in 0..<n {
                    self.observations[slot * n + k] = observations[row * n + k]
                    self.nextObservations[slot * n + k] = nextObservations[row * n + k]
                }
                for k in 0..<a { self.actions[slot * a + k] = actions[row * a + k] }
                self.rewards[slot] = rewards[row]
                self.terminations[slot] = terminated
            }
            next = (next + 1) % capacity
            inserted += 1
        }
    }

    /// `size` transitions drawn uniformly with replacement from those stored.
    public func sample(_ size: Int, using rng: inout RandomGenerator) -> SACBatch {
        require(count > 0, "ReplayBuffer.sample: the replay is empty")
        require(size > 0, "ReplayBuffer.sample: batch size \(size) must be positive")
        let slots = (0..<size).map { _ in Int.random(in: 0..<count, using: &rng) }
        return batch(slots: slots)
    }

    /// The transitions in `slots` (each in `0..<count`), in that order.
    public func batch(slots: [Int]) -> SACBatch {
        let (n, a) = (observationSize, actionSize)
        var o = [Float](), no = [Float](), act = [Float](), r = [Float](), d = [Float]()
        o.reserveCapacity(slots.count * n)
        no.reserveCapacity(slots.count * n)
        act.reserveCapacity(slots.count * a)
        r.reserveCapacity(slots.count)
        d.reserveCapacity(slots.count)
        for slot in slots {
            require(slot >= 0 && slot < count, "ReplayBuffer.batch: slot \(slot) outside 0..<\(count)")
            o.append(contentsOf: observations[(slot * n)..<((slot + 1) * n)])
            no.append(contentsOf: nextObservations[(slot * n)..<((slot + 1) * n)])
            act.append(contentsOf: actions[(slot * a)..<((slot + 1) * a)])
            r.append(rewards[slot])
            d.append(terminations[slot])
        }
        return SACBatch(size: slots.count, observationSize: n, actionSize: a, observations: o, actions: act,
                        rewards: r, nextObservations: no, terminations: d)
    }
}
