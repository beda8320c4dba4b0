import Foundation
import HerdAgents
import HerdCore
@testable import HerdRuntime
import HerdTensor
import HerdTestSupport
import HerdTraining
import XCTest

final class VTraceBatchTests: XCTestCase {
    /// Step `t` of environment `e`: observation `[10e + t]`, behaviour
    /// logits `[e, t]` then the action `t mod 2`, reward `100e + t`.
    func step(_ e: Int, _ t: Int, terminated: Bool = false, truncated: Bool = false, final: [Float]? = nil) -> UnrollStep {
        UnrollStep(observation: [Float(10 * e + t)], reward: Float(100 * e + t), terminated: terminated, truncated: truncated,
                   finalObservation: final, action: [Float(t % 2)], behaviour: [Float(e), Float(t), Float(t % 2)],
                   version: 0, recurrentState: [])
    }

    func testUnrolls_becomeTimeMajorTransitions_withEndsAndCuts() {
        let a = Unroll(environment: 0, steps: [step(0, 0), step(0, 1, terminated: true, final: [-1]), step(0, 2)])
        let b = Unroll(environment: 1, steps: [step(1, 0), step(1, 1), step(1, 2, truncated: true, final: [-7])])
        let batch = VTraceBatch(unrolls: [a, b], observationSize: 1, head: .categorical(classes: 2), discount: 0.9,
                                rewardClipping: .absOne)
        XCTAssertEqual(batch.steps, 2)
        XCTAssertEqual(batch.batchSize, 2)
        // [T + 1, B]: time outer.
        XCTAssertEqual(batch.observations, [0, 10, 1, 11, 2, 12])
        // Transition t's action and behaviour are step t's; its reward and end are step t + 1's.
        XCTAssertEqual(batch.actions, [0, 0, 1, 1])
        XCTAssertEqual(batch.behaviour, [0, 0, 1, 0, 0, 1, 1, 1])
        XCTAssertEqual(batch.rewards, [1, 1, 1, 1], "clipped to ±1 (raw 1, 101, 2, 102)")
        XCTAssertEqual(batch.discounts, [0, 0.9, 0.9, 0])
        // Only the time-limit cut bootstraps: row t·B + b = 1·2 + 1.
        XCTAssertEqual(batch.truncations.map { $0.row }, [3])
        XCTAssertEqual(batch.truncations.first?.observation, [-7])
    }

    func testInferencePolicy_reportsParametersThenAction_andUsesPublishedParameters() throws {
        var rng = RandomGenerator(seed: 9)
        let acting = ActorCritic(observationSize: 2, head: .categorical(classes: 3), settings: NetworkSettings(), using: &rng)
        let trained = ActorCritic(observationSize: 2, head: .categorical(classes: 3), settings: NetworkSettings(), using: &rng)
        let policy = try ActorCriticInferencePolicy(network: acting, observationSize: 2, device: .cpu, seed: 1)
        let request = InferenceRequest(environmentIDs: [4, 5], observations: [0.1, 0.2, -0.3, 0.4], previousActions: [0, 0],
                                       previousRewards: [0, 0], episodeStarts: [true, true], recurrentStates: [[], []])
        try policy.publish(trained, version: 7)
        XCTAssertEqual(policy.version, 7)
        let response = try policy.infer(request)
        let logits = withoutGradients { trained.policy(Tensor(request.observations, shape: [2, 2])).parameters.scalars }
        XCTAssertEqual(response.behaviour.count, 2 * 4)
        assertClose(Array(response.behaviour[0..<3]), Array(logits[0..<3]), atol: 1e-6)
        assertClose(Array(response.behaviour[4..<7]), Array(logits[3..<6]), atol: 1e-6)
        XCTAssertEqual([response.behaviour[3], response.behaviour[7]], response.actions)
        XCTAssertTrue(response.actions.allSatisfy { [0, 1, 2].contains($0) })
    }

    func testApeXEpsilons_followTheSchedule() {
        XCTAssertEqual(apexEpsilons(count: 1), [0.4])
        let three = apexEpsilons(count: 3)
        XCTAssertEqual(three[0], 0.4, accuracy: 1e-12)
        XCTAssertEqual(three[1], pow(0.4, 4.5), accuracy: 1e-12)
        XCTAssertEqual(three[2], pow(0.4, 8), accuracy: 1e-12)
    }

    func testR2D2InferencePolicy_greedyWithZeroEpsilon_statesPerRow_zeroStateAtEpisodeStart() throws {
        var rng = RandomGenerator(seed: 2)
        var settings = R2D2NetworkSettings()
        settings.lstmSize = 4
        let acting = R2D2Network(observationSize: 2, actions: 3, settings: settings, using: &rng)
        let policy = try R2D2InferencePolicy(network: acting, device: .cpu, epsilons: [0], seed: 1)
        let request = InferenceRequest(environmentIDs: [0, 1], observations: [0.1, 0.2, 0.1, 0.2], previousActions: [2, 2],
                                       previousRewards: [0, 0], episodeStarts: [true, true], recurrentStates: [[], []])
        let response = try policy.infer(request)
        XCTAssertEqual(response.behaviour.count, 6)
        XCTAssertEqual(response.recurrentStates.map(\.count), [8, 8])
        XCTAssertEqual(response.behaviour[0..<3], response.behaviour[3..<6], "same input, same zero state")
        for row in 0..<2 {
            let q = Array(response.behaviour[(row * 3)..<((row + 1) * 3)])
            XCTAssertEqual(Int(response.actions[row]), q.firstIndex(of: q.max()!)!, "ε = 0 acts greedily")
        }
        // Carrying a state changes the answer; an episode start ignores it.
        var next = request
        next.episodeStarts = [false, true]
        next.recurrentStates = response.recurrentStates
        let carried = try policy.infer(next)
        XCTAssertNotEqual(Array(carried.behaviour[0..<3]), Array(response.behaviour[0..<3]))
        XCTAssertEqual(Array(carried.behaviour[3..<6]), Array(response.behaviour[3..<6]))
    }
}
