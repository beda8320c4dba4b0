import Foundation
import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class R2D2ComponentTests: XCTestCase {
    // MARK: Value rescaling

    func testValueRescaling_goldenValues_andExactInverse() {
        // h(x) = sign(x)(√(|x|+1) − 1) + 10⁻³x, by hand: √4 = 2, √9 = 3, √100 = 10.
        assertClose(valueRescaling(0), 0)
        assertClose(valueRescaling(3), 1.003, atol: 1e-6)
        assertClose(valueRescaling(-8), -2.008, atol: 1e-6)
        assertClose(valueRescaling(99), 9.099, atol: 1e-5)
        assertClose(inverseValueRescaling(1.003), 3, atol: 1e-4)
        var rng = RandomGenerator(seed: 1)
        for _ in 0..<2000 {
            let x = Float((rng.nextUniform() * 2 - 1) * pow(10, rng.nextUniform() * 4))
            XCTAssertEqual(inverseValueRescaling(valueRescaling(x)), x, accuracy: 1e-4 * max(1, abs(x)), "x = \(x)")
            let y = Float(rng.nextUniform() * 40 - 20)
            XCTAssertEqual(valueRescaling(inverseValueRescaling(y)), y, accuracy: 1e-4 * max(1, abs(y)), "y = \(y)")
        }
    }

    // MARK: n-step double-Q targets

    /// The paper's sum written out with done flags, γ powers and an explicit argmax.
    func slowTargets(rewards: [Float], dones: [Bool], gamma: Float, onlineQ: [Float], targetQ: [Float],
                     T: Int, B: Int, A: Int, n: Int) -> [Float] {
        var out: [Float] = []
        for t in 0..<(T - 1) {
            for b in 0..<B {
                let window = min(n, T - 1 - t)
                var g: Float = 0
                var alive = true
                for k in 0..<window where alive {
                    g += pow(gamma, Float(k)) * rewards[(t + k) * B + b]
                    if dones[(t + k) * B + b] { alive = false }
                }
                if alive {
                    let s = (t + window) * B + b
                    let online = Array(onlineQ[(s * A)..<((s + 1) * A)])
                    let best = online.firstIndex(of: online.max()!)!
                    g += pow(gamma, Float(window)) * inverseValueRescaling(targetQ[s * A + best])
                }
                out.append(valueRescaling(g))
            }
        }
        return out
    }

    func testNStepDoubleQ_matchesTheSlowSum_withEpisodeEndsInsideTheWindow() {
        var rng = RandomGenerator(seed: 2)
        let (T, B, A, gamma) = (12, 3, 4, Float(0.97))
        for n in [1, 3, 5] {
            let rewards = (0..<(T * B)).map { _ in Float(rng.nextUniform() * 4 - 1) }
            var dones = (0..<(T * B)).map { _ in rng.nextUniform() < 0.15 }
            dones[4 * B + 1] = true  // at least one end inside every window size
            let onlineQ = (0..<(T * B * A)).map { _ in Float(rng.nextUniform() * 6 - 3) }
            let targetQ = (0..<(T * B * A)).map { _ in Float(rng.nextUniform() * 6 - 3) }
            XCTAssertTrue(dones.contains(true))
            let fast = nStepDoubleQTargets(rewards: rewards, discounts: dones.map { $0 ? 0 : gamma }, onlineQ: onlineQ,
                                           targetQ: targetQ, steps: T, batchSize: B, actions: A, n: n)
            let slow = slowTargets(rewards: rewards, dones: dones, gamma: gamma, onlineQ: onlineQ, targetQ: targetQ, T: T, B: B, A: A, n: n)
            assertClose(fast, slow, atol: 1e-4, rtol: 1e-4, "n = \(n)")
        }
    }

    func testNStepDoubleQ_usesTheTargetNetworksValueOfTheOnlineArgmax() {
        // T = 2, one transition, n = 1: y = h(r + γ·h⁻¹(Q_target(s₁, argmax Q_online(s₁)))).
        let targets = nStepDoubleQTargets(rewards: [1, 0], discounts: [0.5, 0], onlineQ: [0, 0, 5, 9], targetQ: [0, 0, 100, 3],
                                          steps: 2, batchSize: 1, actions: 2, n: 1)
        assertClose(targets, [valueRescaling(1 + 0.5 * inverseValueRescaling(3))], atol: 1e-6)
        let plain = nStepDoubleQTargets(rewards: [1, 0], discounts: [0.5, 0], onlineQ: [0, 0, 5, 9], targetQ: [0, 0, 100, 3],
                                        steps: 2, batchSize: 1, actions: 2, n: 1, rescale: false)
        assertClose(plain, [2.5])
    }

    /// A mask 0 step after real ones (the final observation of an episode a
    /// time limit cut) ends the window: the target bootstraps from it.
    func testNStepDoubleQ_withAMask_bootstrapsAtTheFirstMaskedStep() {
        let gamma: Float = 0.9
        // T = 4, B = 1, A = 2; steps 0 and 1 real, step 2 the bootstrap step, step 3 padding.
        let rewards: [Float] = [1, 2, 0, 0], discounts: [Float] = [gamma, gamma, 0, 0]
        let onlineQ: [Float] = [0, 0, 0, 0, 1, 7, 0, 0], targetQ: [Float] = [0, 0, 0, 0, 40, 30, 99, 99]
        let masked = nStepDoubleQTargets(rewards: rewards, discounts: discounts, onlineQ: onlineQ, targetQ: targetQ, steps: 4, batchSize: 1,
                                         actions: 2, n: 3, rescale: false, mask: [1, 1, 0, 0])
        // y₀ = r₀ + γr₁ + γ²·Q_target(s₂, argmax Q_online(s₂)) = 1 + 1.8 + 0.81·30; y₁ = 2 + 0.9·30; y₂ bootstraps from s₃ (untrained).
        assertClose(masked, [1 + gamma * 2 + gamma * gamma * 30, 2 + gamma * 30, 0 + 0 * 99], atol: 1e-5)
        // Without the mask the window runs through step 2's discount 0: no bootstrap (a terminated end).
        let plain = nStepDoubleQTargets(rewards: rewards, discounts: discounts, onlineQ: onlineQ, targetQ: targetQ, steps: 4, batchSize: 1,
                                        actions: 2, n: 3, rescale: false)
        assertClose(plain, [1 + gamma * 2, 2, 0], atol: 1e-5)
    }

    func testSequencePriority_mixesMaxAndMean() {
        assertClose(sequencePriority([1, 2, 3], eta: 0.9), 0.9 * 3 + 0.1 * 2, atol: 1e-6)
        assertClose(sequencePriority([4], eta: 0.9), 4)
        XCTAssertEqual(sequencePriority([], eta: 0.9), 0)
    }

    // MARK: Replay

    func sequence(_ marker: Float) -> ReplaySequence {
        ReplaySequence(observations: [marker], previousActions: [-1], previousRewards: [0], actions: [0], rewards: [0],
                       discounts: [0], mask: [1], resets: [1], actingQ: [0], initialState: [])
    }

    func testSumTreeSampling_followsThePriorities_chiSquared() {
        var replay = SequenceReplay(capacity: 8, alpha: 0.9)
        let priorities: [Float] = [1, 2, 3, 4, 0.5, 8, 2, 1]
        for (i, p) in priorities.enumerated() { replay.add(sequence(Float(i)), priority: p) }
        var rng = RandomGenerator(seed: 3)
        var counts = [Int](repeating: 0, count: 8)
        let draws = 40_000
        for _ in 0..<(draws / 4) {
            for slot in replay.sample(4, beta: 0.6, using: &rng).slots { counts[slot] += 1 }
        }
        let scaled = priorities.map { pow(Double($0), 0.9) }
        let expected = scaled.map { $0 / scaled.reduce(0, +) * Double(draws) }
        let chi2 = zip(counts, expected).reduce(0.0) { $0 + pow(Double($1.0) - $1.1, 2) / $1.1 }
        // χ² with 7 degrees of freedom: the 0.999 quantile is 24.32.
        XCTAssertLessThan(chi2, 24.32, "counts \(counts) expected \(expected.map { Int($0) })")
    }

    func testImportanceWeights_areNormalisedByTheirMaximum() {
        var replay = SequenceReplay(capacity: 4, alpha: 1)
        for (i, p) in [Float(1), 2, 3, 4].enumerated() { replay.add(sequence(Float(i)), priority: p) }
        var rng = RandomGenerator(seed: 4)
        let (slots, _, weights) = replay.sample(16, beta: 0.6, using: &rng)
        // w = ((1/N)/P)^β / max: with P = p/10, the rarest drawn slot has weight 1.
        let raw = slots.map { pow(1 / (4 * Double($0 + 1) / 10), 0.6) }
        let largest = raw.max()!
        assertClose(weights, raw.map { Float($0 / largest) }, atol: 1e-6)
        XCTAssertEqual(weights.max(), 1)
    }

    func testFIFOEviction_dropsTheOldest_andUpdatesPriorities() {
        var replay = SequenceReplay(capacity: 3, alpha: 1)
        for i in 0..<5 { replay.add(sequence(Float(i)), priority: 1) }
        XCTAssertEqual(replay.count, 3)
        XCTAssertEqual(replay.inserted, 5)
        XCTAssertEqual(Set((0..<3).compactMap { replay[$0]?.observations[0] }), [2, 3, 4])
        replay.update(slots: [0], priorities: [8])  // slot 0 now holds sequence 3
        XCTAssertEqual(replay.probability(of: 0), 0.8, accuracy: 1e-9)
    }

    // MARK: Sequences

    /// Environment steps whose observation and recurrent state are the episode step index.
    func feed(_ builder: inout SequenceBuilder, steps: Int, endWith terminal: Bool = true) -> [ReplaySequence] {
        var out: [ReplaySequence] = []
        for t in 0...steps {
            let end = terminal && t == steps
            let step = ActingStep(observation: [Float(end ? 100 : t)], reward: t == 0 ? 0 : Float(t), terminated: end, truncated: false,
                                  action: t % 2, q: [Float(t), -Float(t)], state: t == 0 ? [] : [Float(t)])
            out += builder.add(step, environment: 0)
        }
        return out
    }

    func testBurnInState_isTheActorsStateAtThePrefixsFirstStep() {
        var builder = SequenceBuilder(environments: 1, burnIn: 2, trainLength: 4, discount: 0.9, observationSize: 1, actions: 2)
        let sequences = feed(&builder, steps: 12, endWith: false)
        // Training parts start at 0, 2, 4, …: steps 0…11 are complete once step 12 arrives, so parts 0 to 8.
        XCTAssertEqual(sequences.count, 5)
        let third = sequences[2]  // training part 4..<8, burn-in prefix 2..<4
        XCTAssertEqual(third.observations, [2, 3, 4, 5, 6, 7])
        XCTAssertEqual(third.initialState, [2], "the state at step 2, where burn-in starts (an off-by-burn-in store would hold [4])")
        XCTAssertEqual(third.mask, [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(third.resets, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(third.previousActions, [1, 0, 1, 0, 1, 0])
        XCTAssertEqual(third.rewards, [3, 4, 5, 6, 7, 8], "transition t's reward arrives with step t + 1")
        // The first sequence of an episode has no prefix: left padding, then a reset at step 0.
        let first = sequences[0]
        XCTAssertEqual(first.mask, [0, 0, 1, 1, 1, 1])
        XCTAssertEqual(first.resets, [0, 0, 1, 0, 0, 0])
        XCTAssertEqual(first.observations, [0, 0, 0, 1, 2, 3])
        XCTAssertEqual(first.initialState, [], "zeros: the episode starts inside the sequence")
        XCTAssertEqual(first.previousActions[2], -1, "no previous action at an episode start")
    }

    func testSequences_stopAtEpisodeEnds_paddedAndMasked_andOverlapByHalf() {
        var builder = SequenceBuilder(environments: 1, burnIn: 1, trainLength: 4, discount: 0.9, observationSize: 1, actions: 2)
        let sequences = feed(&builder, steps: 5)  // an episode of 5 steps (0...4); step 5 starts the next
        XCTAssertEqual(sequences.count, 2)
        XCTAssertEqual(sequences[0].observations, [0, 0, 1, 2, 3])
        XCTAssertEqual(sequences[1].observations, [1, 2, 3, 4, 0], "training part 2..<6 holds steps 2, 3, 4 then padding")
        XCTAssertEqual(sequences[1].mask, [1, 1, 1, 1, 0])
        XCTAssertEqual(sequences[1].discounts, [0.9, 0.9, 0.9, 0, 0], "the last step ends the episode")
        XCTAssertFalse(sequences.contains { $0.observations.floatValues.contains(100) }, "no step of the next episode")
    }

    /// An episode a time limit cut keeps discount γ on its last step and
    /// holds its final observation in the next slot, unmasked for the
    /// network's input but never trained on; terminated ones, and truncation
    /// with `bootstrapTruncation` off, get discount 0 and no such slot.
    func testTruncation_bootstrapsFromTheFinalObservation() {
        func episode(truncated: Bool, terminated: Bool, bootstrap: Bool) -> ReplaySequence {
            var builder = SequenceBuilder(environments: 1, burnIn: 1, trainLength: 4, discount: 0.9, observationSize: 1, actions: 2,
                                          bootstrapTruncation: bootstrap)
            var out: [ReplaySequence] = []
            for t in 0...5 {
                let end = t == 5
                let step = ActingStep(observation: [Float(end ? 100 : t)], reward: Float(t), terminated: end && terminated,
                                      truncated: end && truncated, action: t % 2, q: [Float(t), -Float(t)], state: [],
                                      finalObservation: end ? [50] : nil)
                out += builder.add(step, environment: 0)
            }
            XCTAssertEqual(out.count, 2)
            return out[1]  // training part 2..<6: steps 2, 3, 4, then the slot after the episode
        }
        let cut = episode(truncated: true, terminated: false, bootstrap: true)
        XCTAssertEqual(cut.observations, [1, 2, 3, 4, 50], "the final observation follows the last step")
        XCTAssertEqual(cut.mask, [1, 1, 1, 1, 0], "and is not a training step")
        XCTAssertEqual(cut.discounts, [0.9, 0.9, 0.9, 0.9, 0], "the last step keeps γ")
        XCTAssertEqual(cut.rewards, [2, 3, 4, 5, 0])
        XCTAssertEqual(cut.previousActions[4], 0, "reached by step 4's action")
        XCTAssertEqual(cut.previousRewards[4], 5, "with the last transition's reward")
        XCTAssertEqual(Array(cut.actingQ[8...]), [4, -4], "acting Q for the initial priority: the last step's")
        for (truncated, terminated, bootstrap) in [(false, true, true), (true, true, true), (true, false, false)] {
            let ended = episode(truncated: truncated, terminated: terminated, bootstrap: bootstrap)
            XCTAssertEqual(ended.observations, [1, 2, 3, 4, 0], "\((truncated, terminated, bootstrap))")
            XCTAssertEqual(ended.discounts, [0.9, 0.9, 0.9, 0, 0], "\((truncated, terminated, bootstrap))")
        }

        // A 6-step episode fills the training part 2..<6 exactly, whose last
        // row is never trained: one more sequence (part 4..<8) holds the last
        // transition and the bootstrap step. (CartPole's 500 steps with m = 20
        // end this way.)
        var builder = SequenceBuilder(environments: 1, burnIn: 1, trainLength: 4, discount: 0.9, observationSize: 1, actions: 2)
        var sequences: [ReplaySequence] = []
        for t in 0...6 {
            let step = ActingStep(observation: [Float(t == 6 ? 100 : t)], reward: Float(t), terminated: false, truncated: t == 6,
                                  action: t % 2, q: [0, 0], state: [], finalObservation: t == 6 ? [50] : nil)
            sequences += builder.add(step, environment: 0)
        }
        XCTAssertEqual(sequences.map { $0.observations.floatValues }, [[0, 0, 1, 2, 3], [1, 2, 3, 4, 5], [3, 4, 5, 50, 0]])
        XCTAssertEqual(sequences[2].mask, [1, 1, 1, 0, 0])
        XCTAssertEqual(sequences[2].discounts, [0.9, 0.9, 0.9, 0, 0], "step 5 keeps γ and bootstraps from the final observation")
        let q: [Float] = [Float](repeating: 0, count: 5 * 2)
        let targets = nStepDoubleQTargets(rewards: Array(sequences[2].rewards[1...]), discounts: Array(sequences[2].discounts[1...]),
                                          onlineQ: Array(q[2...]), targetQ: Array(q[2...]), steps: 4, batchSize: 1, actions: 2, n: 5,
                                          rescale: false, mask: Array(sequences[2].mask[1...]))
        assertClose(targets, [5 + 0.9 * 6, 6, 0], atol: 1e-5, "step 5's transition is trained (row 1 of 3), with its reward 6")
    }

    /// Pixel steps are replayed as bytes: a stored sequence holds a byte per
    /// value (padding included) and the learner's input has the same values.
    func testByteObservations_areStoredAsBytes() {
        var builder = SequenceBuilder(environments: 1, burnIn: 1, trainLength: 2, discount: 0.9, observationSize: 2, actions: 2)
        var sequences: [ReplaySequence] = []
        for t in 0..<6 {
            let step = ActingStep(observation: ObservationRows(bytes: [UInt8(t), UInt8(200 + t)]), reward: 1, terminated: false,
                                  truncated: false, action: t % 2, q: [0, 0], state: [])
            sequences += builder.add(step, environment: 0)
        }
        XCTAssertFalse(sequences.isEmpty)
        let first = sequences[0]
        XCTAssertEqual(first.observations.elementType, .uint8)
        XCTAssertEqual(first.observations.storageBytes, 3 * 2, "L = 3 steps of 2 values, one byte each")
        XCTAssertEqual(first.observations, ObservationRows(bytes: [0, 0, 0, 200, 1, 201]), "left padding, then steps 0 and 1")
    }
}
