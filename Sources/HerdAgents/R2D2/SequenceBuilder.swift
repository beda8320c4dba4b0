import HerdCore
import HerdTensor

/// What an actor did at one step, in the inference server's layout: the
/// observation and the reward and end flags of the transition that led to
/// it, then the action taken there, the Q values it was chosen from and the
/// recurrent state the network acted from (empty: zeros, at an episode start).
public struct ActingStep: Sendable {
    public var observation: ObservationRows
    public var reward: Float
    public var terminated: Bool
    public var truncated: Bool
    public var action: Int
    public var q: [Float]
    public var state: [Float]
    /// When the step ends an episode, that episode's last observation (the
    /// environment has already reset: `observation` is the next episode's first).
    public var finalObservation: ObservationRows?

    public init(observation: [Float], reward: Float, terminated: Bool, truncated: Bool, action: Int, q: [Float], state: [Float],
                finalObservation: [Float]? = nil) {
        self.init(observation: ObservationRows(observation), reward: reward, terminated: terminated, truncated: truncated,
                  action: action, q: q, state: state, finalObservation: finalObservation.map(ObservationRows.init))
    }

    public init(observation: ObservationRows, reward: Float, terminated: Bool, truncated: Bool, action: Int, q: [Float], state: [Float],
                finalObservation: ObservationRows? = nil) {
        self.observation = observation
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.action = action
        self.q = q
        self.state = state
        self.finalObservation = finalObservation
    }
}

/// Cuts each environment's step stream into R2D2's replay sequences
/// (Kapturowski et al. 2019, §2.3). Training parts of `m` steps start at
/// episode steps 0, m/2, m, … (consecutive ones overlap by m/2) and never
/// cross an episode's end: the last one of an episode is padded and masked,
/// and ends at least one step after the episode (the last row of a
/// training part is not trained: it has no successor).
/// Each sequence carries a burn-in prefix of up to `burnIn` steps before its
/// training part (fewer near the episode's start; the rest is left padding)
/// and the recurrent state the actor had at the prefix's **first** step, so
/// the learner's burn-in starts where acting did. (seed_rl's R2D2 stores the
/// state of a step `burnIn` steps off; this does not.)
///
/// A terminated episode's last transition gets discount 0. One cut by a
/// time limit keeps discount γ when `bootstrapTruncation` is on and the
/// step brought the episode's final observation: that observation follows
/// the last step as a *bootstrap step* (mask 0, never trained on) that the
/// network unrolls over and the n-step targets bootstrap from. A time limit
/// the agent cannot observe is not the end of its task (Pardo et al. 2018,
/// "Time Limits in Reinforcement Learning"). With it off, or without a final
/// observation, truncation gets discount 0, as in seed_rl's R2D2.
public struct SequenceBuilder: Sendable {
    public let burnIn: Int
    public let trainLength: Int
    public let discount: Float
    public let observationSize: Int
    public let actions: Int
    public let bootstrapTruncation: Bool

    struct Record {
        var step: ActingStep
        var previousAction: Int
        var previousReward: Float
        var reward: Float = 0
        var discount: Float = 0
    }

    struct Episode {
        /// Records from episode step `offset` on.
        var records: [Record] = []
        var offset = 0
        /// Episode step where the next training part starts.
        var nextStart = 0
        var started = false
    }

    private var episodes: [Episode]

    public init(environments: Int, burnIn: Int, trainLength: Int, discount: Float, observationSize: Int, actions: Int,
                bootstrapTruncation: Bool = true) {
        require(burnIn >= 0 && trainLength >= 2 && trainLength % 2 == 0, "SequenceBuilder: burn-in \(burnIn) ≥ 0, even length \(trainLength) ≥ 2")
        self.burnIn = burnIn
        self.trainLength = trainLength
        self.discount = discount
        self.observationSize = observationSize
        self.actions = actions
        self.bootstrapTruncation = bootstrapTruncation
        episodes = Array(repeating: Episode(), count: environments)
    }

    /// `L = burnIn + m`.
    public var sequenceLength: Int { burnIn + trainLength }

    /// Forgets environment `id`'s episode in progress (its worker was lost:
    /// the steps that would finish it will not come).
    public mutating func restart(environment id: Int) { episodes[id] = Episode() }

    /// Takes the next step of environment `id`; returns the sequences it completes.
    public mutating func add(_ step: ActingStep, environment id: Int) -> [ReplaySequence] {
        var out: [ReplaySequence] = []
        var episode = episodes[id]
        if episode.started, let last = episode.records.indices.last {
            // The new step carries the outcome of the previous step's transition.
            episode.records[last].reward = step.reward
            let ended = step.terminated || step.truncated
            let final = bootstrapTruncation && step.truncated && !step.terminated ? step.finalObservation : nil
            episode.records[last].discount = ended && final == nil ? 0 : discount
            if ended {
                let length = episode.offset + episode.records.count
                // The bootstrap step: the final observation, reached by the last step's action.
                // Nobody acted there: its acting Q (for the initial priority only) is the last step's.
                let bootstrap = final.map { observation in
                    Record(step: ActingStep(observation: observation, reward: 0, terminated: false, truncated: false, action: -1,
                                            q: episode.records[last].step.q, state: []),
                           previousAction: episode.records[last].step.action, previousReward: step.reward)
                }
                if episode.nextStart < length { out.append(cut(episode, start: episode.nextStart, length: length, bootstrap: bootstrap)) }
                // A training part that ends exactly at the episode's end holds
                // its last transition in the final row, which has no successor
                // in the sequence and is never trained (nor is there room for
                // the bootstrap step). One more, m/2 later, holds both.
                if length - episode.nextStart == trainLength {
                    out.append(cut(episode, start: episode.nextStart + trainLength / 2, length: length, bootstrap: bootstrap))
                }
                episode = Episode()
            } else {
                let complete = episode.offset + episode.records.count
                while episode.nextStart + trainLength <= complete {
                    out.append(cut(episode, start: episode.nextStart, length: nil))
                    episode.nextStart += trainLength / 2
                    let keepFrom = max(0, episode.nextStart - burnIn)
                    if keepFrom > episode.offset {
                        episode.records.removeFirst(keepFrom - episode.offset)
                        episode.offset = keepFrom
                    }
                }
            }
        }
        let first = !episode.started
        let previous = first ? nil : episode.records.last
        episode.records.append(Record(step: step, previousAction: previous?.step.action ?? -1,
                                      previousReward: first ? 0 : step.reward))
        episode.started = true
        episodes[id] = episode
        return out
    }

    /// The sequence whose training part starts at episode step `start`;
    /// `length` is the episode's length when it has ended (steps past it are
    /// padding, but for `bootstrap` at step `length`: unmasked input, no training).
    private func cut(_ episode: Episode, start: Int, length: Int?, bootstrap: Record? = nil) -> ReplaySequence {
        let L = sequenceLength, n = observationSize, A = actions
        let elementType = episode.records.first?.step.observation.elementType ?? .float32
        var s = ReplaySequence(observations: ObservationRows(zeros: L * n, of: elementType), previousActions: [Int](repeating: -1, count: L),
                               previousRewards: [Float](repeating: 0, count: L), actions: [Int](repeating: 0, count: L),
                               rewards: [Float](repeating: 0, count: L), discounts: [Float](repeating: 0, count: L),
                               mask: [Float](repeating: 0, count: L), resets: [Float](repeating: 0, count: L),
                               actingQ: [Float](repeating: 0, count: L * A), initialState: [])
        let firstIndex = start - burnIn
        let end = length ?? (episode.offset + episode.records.count)
        let bootstrapSlot = bootstrap != nil ? end - firstIndex : -1
        if let bootstrap, bootstrapSlot < L {
            s.observations.replaceSubrange((bootstrapSlot * n)..<((bootstrapSlot + 1) * n), with: bootstrap.step.observation)
            s.previousActions[bootstrapSlot] = bootstrap.previousAction
            s.previousRewards[bootstrapSlot] = bootstrap.previousReward
            if bootstrap.step.q.count == A { s.actingQ.replaceSubrange((bootstrapSlot * A)..<((bootstrapSlot + 1) * A), with: bootstrap.step.q) }
        }
        for j in 0..<L {
            let index = firstIndex + j
            guard index >= 0, index < end, index >= episode.offset else { continue }
            let record = episode.records[index - episode.offset]
            s.observations.replaceSubrange((j * n)..<((j + 1) * n), with: record.step.observation)
            s.previousActions[j] = record.previousAction
            s.previousRewards[j] = record.previousReward
            s.actions[j] = record.step.action
            s.rewards[j] = record.reward
            s.discounts[j] = record.discount
            s.mask[j] = 1
            s.resets[j] = index == 0 ? 1 : 0
            if record.step.q.count == A { s.actingQ.replaceSubrange((j * A)..<((j + 1) * A), with: record.step.q) }
        }
        let stateIndex = max(0, firstIndex)
        if stateIndex >= episode.offset, stateIndex - episode.offset < episode.records.count {
            s.initialState = episode.records[stateIndex - episode.offset].step.state
        }
        return s
    }
}
