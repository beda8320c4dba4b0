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
                   finalObservation: final.map(ObservationRows.init), action: [Float(t % 2)], behaviour: [Float(e), Float(t), Float(t % 2)],
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
}
