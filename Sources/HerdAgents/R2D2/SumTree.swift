import HerdCore

/// A binary sum tree over `capacity` leaf priorities (Schaul et al. 2016,
/// "Prioritized Experience Replay", appendix B.2.1): setting a leaf and
/// finding the leaf where a prefix sum falls both take O(log N).
public struct SumTree: Sendable {
    public let capacity: Int
    /// Heap layout: node `i` has children `2i + 1` and `2i + 2`; leaves start at `leafStart`.
    private var nodes: [Double]
    private let leafStart: Int

    public init(capacity: Int) {
        require(capacity > 0, "SumTree: capacity must be positive")
        self.capacity = capacity
        var size = 1
        while size < capacity { size *= 2 }
        leafStart = size - 1
        nodes = [Double](repeating: 0, count: 2 * size - 1)
    }

    /// Σ of every leaf.
    public var total: Double { nodes[0] }

    public subscript(index: Int) -> Double { nodes[leafStart + index] }

    /// Sets leaf `index` to `value` (≥ 0, finite) and updates its ancestors.
    public mutating func set(_ index: Int, _ value: Double) {
        require(index >= 0 && index < capacity, "SumTree: index \(index) out of 0..<\(capacity)")
        require(value >= 0 && value.isFinite, "SumTree: priority \(value) must be finite and ≥ 0")
        var node = leafStart + index
        let change = value - nodes[node]
        nodes[node] = value
        while node > 0 {
            node = (node - 1) / 2
            nodes[node] += change
        }
    }

    /// The leaf whose cumulative range `[Σ before it, Σ through it)` holds
    /// `prefix` (clamped into `[0, total)`); leaves of priority 0 are never returned while `total > 0`.
    public func find(_ prefix: Double) -> Int {
        var value = min(max(prefix, 0), max(total.nextDown, 0))
        var node = 0
        while node < leafStart {
            let left = 2 * node + 1
            if value < nodes[left] || nodes[left + 1] == 0 {
                node = left
            } else {
                value -= nodes[left]
                node = left + 1
            }
        }
        return min(node - leafStart, capacity - 1)
    }
}
