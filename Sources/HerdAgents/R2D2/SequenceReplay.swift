import Foundation
import HerdCore
import HerdTensor

/// One stored training sequence of `L = burnIn + m` steps (time-major
/// per sequence), as ``SequenceBuilder`` cuts it from an environment's
/// episode. Step `t` holds the observation, the inputs the network sees with
/// it (the previous action and reward), and the transition taken from it:
/// the action, its reward and discount (γ, or 0 where the episode ended).
/// `mask[t]` is 1 for real steps and 0 for padding (before an episode's
/// first step, after its last); `resets[t]` is 1 on an episode's first step
/// (the recurrent state starts from zeros there).
public struct ReplaySequence: Sendable {
    /// `[L, n]` (bytes for u8 pixels: replay holds them at a byte each).
    public var observations: ObservationRows
    public var previousActions: [Int]
    public var previousRewards: [Float]
    public var actions: [Int]
    public var rewards: [Float]
    public var discounts: [Float]
    public var mask: [Float]
    public var resets: [Float]
    /// The acting network's Q values, `[L, A]` (for the initial priority).
    public var actingQ: [Float]
    /// The recurrent state the actor had at step 0, the first step of the
    /// burn-in prefix (`[2H]`: hidden then cell; empty means zeros).
    public var initialState: [Float]
    /// Learner version when the sequence was stored (for its age when sampled).
    public var insertedAt = 0

    public var length: Int { mask.count }

    public init(observations: [Float], previousActions: [Int], previousRewards: [Float], actions: [Int], rewards: [Float],
                discounts: [Float], mask: [Float], resets: [Float], actingQ: [Float], initialState: [Float]) {
        self.init(observations: ObservationRows(observations), previousActions: previousActions, previousRewards: previousRewards,
                  actions: actions, rewards: rewards, discounts: discounts, mask: mask, resets: resets, actingQ: actingQ,
                  initialState: initialState)
    }

    public init(observations: ObservationRows, previousActions: [Int], previousRewards: [Float], actions: [Int], rewards: [Float],
                discounts: [Float], mask: [Float], resets: [Float], actingQ: [Float], initialState: [Float]) {
        self.observations = observations
        self.previousActions = previousActions
        self.previousRewards = previousRewards
        self.actions = actions
        self.rewards = rewards
        self.discounts = discounts
        self.mask = mask
        self.resets = resets
        self.actingQ = actingQ
        self.initialState = initialState
    }
}

/// Prioritised sequence replay (R2D2, Kapturowski et al. 2019): FIFO at
/// capacity, sampling with probability `pᵢ^α / Σ pᵅ` from a ``SumTree``,
/// importance weights `((1/N) / P(i))^β` normalised by their maximum over
/// the batch.
public struct SequenceReplay: Sendable {
    public let capacity: Int
    public let alpha: Double
    private var items: [ReplaySequence?]
    private var tree: SumTree
    private var next = 0
    public private(set) var count = 0
    /// Sequences stored so far (evicted ones included).
    public private(set) var inserted = 0

    public init(capacity: Int, alpha: Double) {
        require(capacity > 0 && alpha >= 0, "SequenceReplay: capacity \(capacity) > 0, α \(alpha) ≥ 0")
        self.capacity = capacity
        self.alpha = alpha
        items = Array(repeating: nil, count: capacity)
        tree = SumTree(capacity: capacity)
    }

    /// Stores `sequence` with `priority` (before α), evicting the oldest at capacity. Returns its slot.
    @discardableResult
    public mutating func add(_ sequence: ReplaySequence, priority: Float) -> Int {
        let slot = next
        items[slot] = sequence
        tree.set(slot, Self.scaled(priority, alpha))
        next = (next + 1) % capacity
        count = min(count + 1, capacity)
        inserted += 1
        return slot
    }

    public subscript(slot: Int) -> ReplaySequence? { items[slot] }

    /// Mean priority `p` (before α) of the stored sequences.
    public var meanPriority: Double {
        guard count > 0 else { return 0 }
        let exponent = alpha > 0 ? 1 / alpha : 1
        return (0..<capacity).reduce(0) { $0 + (items[$1] == nil ? 0 : pow(tree[$1], exponent)) } / Double(count)
    }

    /// `batchSize` slots drawn with stratified prefix sums (one per equal
    /// share of the total), their sequences and normalised importance weights.
    public func sample(_ batchSize: Int, beta: Double, using rng: inout RandomGenerator)
        -> (slots: [Int], sequences: [ReplaySequence], weights: [Float]) {
        require(count > 0, "SequenceReplay.sample: the replay is empty")
        let total = tree.total
        let share = total / Double(batchSize)
        var slots: [Int] = []
        for i in 0..<batchSize {
            var slot = tree.find((Double(i) + rng.nextUniform()) * share)
            if items[slot] == nil { slot = (next - 1 + capacity) % capacity }  // all-zero priorities: the newest
            slots.append(slot)
        }
        let n = Double(count)
        var weights = slots.map { slot -> Double in
            let probability = total > 0 ? tree[slot] / total : 1 / n
            return pow(1 / (n * max(probability, 1e-12)), beta)
        }
        let largest = weights.max() ?? 1
        weights = weights.map { $0 / largest }
        return (slots, slots.map { items[$0]! }, weights.map(Float.init))
    }

    /// New priorities (before α) for sampled slots.
    public mutating func update(slots: [Int], priorities: [Float]) {
        for (slot, priority) in zip(slots, priorities) where items[slot] != nil {
            tree.set(slot, Self.scaled(priority, alpha))
        }
    }

    /// The probability of sampling `slot` now.
    public func probability(of slot: Int) -> Double { tree.total > 0 ? tree[slot] / tree.total : 0 }

    /// `max(p, 10⁻⁶)^α`: a sequence whose errors vanished can still be drawn.
    static func scaled(_ priority: Float, _ alpha: Double) -> Double {
        let p = Double(priority)
        return pow(p.isFinite ? max(p, 1e-6) : 1e-6, alpha)
    }
}
