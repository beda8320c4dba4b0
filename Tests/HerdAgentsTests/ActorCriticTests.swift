import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class ActorCriticTests: XCTestCase {
    /// Convolutions read [C, H, W]. An image sent height × width × channels
    /// (Gymnasium's layout, e.g. Atari's 210×160×3) used to be read as 210
    /// channels of 160×3; it is refused, saying how to send it. The same
    /// image channels first, and a 3-D board with few channels, are taken.
    func testConvTorso_refusesAnImageLaidOutHeightWidthChannels() throws {
        let hwc = try XCTUnwrap(ConvTorso.problem(observationShape: [210, 160, 3], settings: .minAtar))
        XCTAssertTrue(hwc.contains("look like height × width × channels"), hwc)
        XCTAssertTrue(hwc.contains("herd_image_layout"), hwc)
        XCTAssertNotNil(ConvTorso.problem(observationShape: [84, 84, 4], settings: .nature))
        XCTAssertNil(ConvTorso.problem(observationShape: [3, 210, 160], settings: .nature))
        XCTAssertNil(ConvTorso.problem(observationShape: [4, 84, 84], settings: .nature))
        XCTAssertNil(ConvTorso.problem(observationShape: [10, 10, 10], settings: .minAtar), "MinAtar's Seaquest: 10 channels of 10×10")
        XCTAssertNil(ConvTorso.problem(observationShape: [1, 10, 5], settings: .minAtar), "Catch")
    }

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
