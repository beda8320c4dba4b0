import HerdCore
/// `MemoryChain-v0`: a memory test after bsuite's `memory_len`
/// (Osband et al. 2020, `bsuite/environments/memory_chain.py`, one bit).
///
/// A cue, −1 or +1 with equal probability, is shown only in the first
/// observation; `length` blank observations follow; then a query
/// observation asks for the cue. The action taken on the query ends the
/// episode: reward +1 when it matches the cue (action 1 for +1, action 0 for
/// −1), −1 otherwise; every earlier action is ignored and earns 0. An
/// episode is `length + 2` steps. A memoryless agent cannot beat chance.
///
/// Observation `[time_left, query, cue]` as bsuite lays it out:
/// `time_left = 1 − t / (length + 1)` at step `t`, `query` is 1 on the query
/// step, `cue` is ±1 on the first step and 0 after. Action `Discrete(2)`.
public final class MemoryChain: EnvironmentBase, Environment {
    /// Blank steps between the cue and the query.
    public let length: Int
    private var t = 0
    private var cue: Float = 1

    public init(name: String = "MemoryChain-v0", length: Int = 10) {
        require(length >= 0, "MemoryChain length must be ≥ 0")
        self.length = length
        super.init(name: name, observationSpace: .box(low: [0, 0, -1], high: [1, 1, 1], shape: [3]), actionSpace: .discrete(2))
    }

    /// The step on which the query is shown.
    var queryStep: Int { length + 1 }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        t = 0
        cue = rng.next() & 1 == 0 ? -1 : 1
        write(observation)
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        let choice = try discreteAction(action, count: 2)
        if t == queryStep {
            let correct = (choice == 1) == (cue > 0)
            write(observation)  // the episode is over; repeat the query observation
            return finish(StepOutcome(reward: correct ? 1 : -1, terminated: true, truncated: false))
        }
        t += 1
        write(observation)
        return StepOutcome(reward: 0, terminated: false, truncated: false)
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = 1 - Float(t) / Float(queryStep)
        observation[1] = t == queryStep ? 1 : 0
        observation[2] = t == 0 ? cue : 0
    }
}
