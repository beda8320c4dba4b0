import Foundation
import HerdAgents
import HerdCore
@testable import HerdRuntime
import HerdTensor
import HerdTestSupport
@testable import HerdTraining
import XCTest

final class ActorCriticInferencePolicyTests: XCTestCase {
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
        let logits = withoutGradients { trained.policy(Tensor(request.observations.floats, shape: [2, 2])).parameters.scalars }
        XCTAssertEqual(response.behaviour.count, 2 * 4)
        assertClose(Array(response.behaviour[0..<3]), Array(logits[0..<3]), atol: 1e-6)
        assertClose(Array(response.behaviour[4..<7]), Array(logits[3..<6]), atol: 1e-6)
        XCTAssertEqual([response.behaviour[3], response.behaviour[7]], response.actions)
        XCTAssertTrue(response.actions.allSatisfy { [0, 1, 2].contains($0) })
    }
}
