import Foundation
import HerdAgents
import HerdCore
@testable import HerdRuntime
import HerdTensor
import HerdTestSupport
@testable import HerdTraining
import XCTest

final class R2D2InferencePolicyTests: XCTestCase {
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
