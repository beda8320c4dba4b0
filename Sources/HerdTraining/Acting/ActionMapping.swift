import HerdAgents
import HerdEnvironments

/// Maps policy actions to environment actions. Discrete actions pass as they
/// are. Gaussian actions live in [−1, 1] per dimension (BatchPPO's
/// `RangeNormalize` of the action space): they are clipped there and rescaled
/// to the space's finite bounds; dimensions with an infinite bound pass
/// unchanged. The policy's log-probabilities stay those of the unclipped sample.
public struct ActionMapping: Sendable {
    let low: [Float]
    let high: [Float]
    public let head: ActionHead

    /// `space` is the environment's action space, or nil when unknown (then
    /// actions pass through, as for spaces with infinite bounds).
    public init(space: Space?, head: ActionHead) {
        self.head = head
        if case let .box(low, high, _)? = space {
            self.low = low
            self.high = high
        } else {
            self.low = []
            self.high = []
        }
    }

    /// Environment actions for policy actions `[B, actionSize]`.
    public func environmentActions(_ actions: [Float]) -> [Float] {
        guard case let .gaussian(d) = head, low.count == d else { return actions }
        var out = actions
        for i in 0..<out.count {
            let k = i % d
            guard low[k].isFinite, high[k].isFinite else { continue }
            let a = min(max(actions[i], -1), 1)
            out[i] = low[k] + (a + 1) * 0.5 * (high[k] - low[k])
        }
        return out
    }
}

extension ActionHead {
    /// The head for an environment's action space: categorical for
    /// `Discrete`, a diagonal Gaussian over the flattened `Box`.
    public init(space: Space) {
        switch space {
        case let .discrete(n): self = .categorical(classes: n)
        case .box: self = .gaussian(dimension: space.flatCount)
        }
    }
}
