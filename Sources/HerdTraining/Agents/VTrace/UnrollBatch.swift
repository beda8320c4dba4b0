import HerdAgents
import HerdRuntime
import HerdTensor

extension VTraceBatch {
    /// A time-major learner batch from `B` unrolls of `T + 1` steps each
    /// (the inference server's SEED layout; behaviour rows are
    /// ``BehaviourRow``s).
    ///
    /// Transition `t` goes from step `t` to step `t + 1`: its reward and
    /// end flags are step `t + 1`'s. An episode that ended there gets
    /// discount 0; one cut by a time limit also records its last observation
    /// (step `t + 1`'s `finalObservation`) for the learner to bootstrap from.
    public init(unrolls: [Unroll], observationSize: Int, head: ActionHead, discount: Float, rewardClipping: RewardClipping) {
        let batchSize = unrolls.count
        let steps = (unrolls.first?.steps.count ?? 1) - 1
        self.init(steps: steps, batchSize: batchSize, observationSize: observationSize)
        precondition(unrolls.allSatisfy { $0.steps.count == steps + 1 }, "VTraceBatch: unrolls of different lengths")
        observations.reserveCapacity((steps + 1) * batchSize * observationSize)
        for t in 0...steps {
            for unroll in unrolls { observations += unroll.steps[t].observation }
        }
        for t in 0..<steps {
            for (b, unroll) in unrolls.enumerated() {
                let now = unroll.steps[t], next = unroll.steps[t + 1]
                let row = BehaviourRow.decode(now.behaviour, head: head)
                behaviour += row.parameters
                actions += row.action
                rewards.append(rewardClipping(next.reward))
                let ended = next.terminated || next.truncated
                discounts.append(ended ? 0 : discount)
                if next.truncated && !next.terminated, let last = next.finalObservation {
                    truncations.append((row: t * batchSize + b, observation: last))
                }
            }
        }
    }
}
