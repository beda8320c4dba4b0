import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class ActorCriticTests: XCTestCase {
    func testActorCritic_gaussianHeads_startAtTheInitialStd() {
        var rng = RandomGenerator(seed: 1)
        for std in [StandardDeviation.learnedLogStd, .softplus] {
            var s = NetworkSettings()
            s.standardDeviation = std
            s.initialStd = 0.5
            let net = ActorCritic(observationSize: 3, head: .gaussian(dimension: 2), settings: s, using: &rng)
            let (policy, value) = net(Tensor.randomNormal([4, 3], using: &rng))
            XCTAssertEqual(value.shape, [4])
            guard case let .gaussian(g) = policy else { return XCTFail("expected a Gaussian") }
            for logStd in g.logStd.scalars { XCTAssertEqual(Double(logStd), log(0.5), accuracy: 0.05, "\(std)") }
            XCTAssertEqual(policy.parameters.shape, [4, 4])
        }
    }

    func testActorCritic_sharedTorso_hasOneSetOfHiddenLayers() {
        var rng = RandomGenerator(seed: 2)
        var s = NetworkSettings()
        s.shared = true
        let shared = ActorCritic(observationSize: 4, head: .categorical(classes: 2), settings: s, using: &rng)
        let separate = ActorCritic(observationSize: 4, head: .categorical(classes: 2), settings: NetworkSettings(), using: &rng)
        XCTAssertFalse(shared.namedParameters.contains { $0.name.hasPrefix("value_torso") })
        XCTAssertEqual(separate.parameterCount - shared.parameterCount, 4 * 64 + 64 + 64 * 64 + 64)
    }
}
