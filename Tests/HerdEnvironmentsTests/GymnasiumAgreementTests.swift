import Foundation
import HerdEnvironments
import XCTest

/// Step-by-step agreement with Gymnasium on the committed reference
/// trajectories (`Fixtures/generate_gymnasium_fixtures.py`; the Gymnasium and
/// NumPy versions are recorded in each file): observations within 1e-5,
/// rewards exactly, both flags on the same step.
final class GymnasiumAgreementTests: XCTestCase {
    struct Fixture: Decodable {
        struct Episode: Decodable {
            var initial_state: [Double]
            var actions: [Double]
            var observations: [[Float]]
            var rewards: [Double]
            var terminated: [Bool]
            var truncated: [Bool]
        }
        var env: String
        var gymnasium_version: String
        var episodes: [Episode]
    }

    func fixture(_ name: String) throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/gymnasium_\(name)", withExtension: "json"),
                                "fixture for \(name) missing")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func checkAgreement(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try fixture(name)
        XCTAssertTrue(reference.gymnasium_version.hasPrefix("1."), "fixtures come from Gymnasium 1.x", file: file, line: line)
        let env = try EnvironmentRegistry.make(name)
        var steps = 0, terminations = 0
        for (e, episode) in reference.episodes.enumerated() {
            env.reset(seed: 0)
            let physical = try XCTUnwrap(env.unwrapped as? PhysicalStateAccess)
            try physical.setPhysicalState(episode.initial_state)
            for (t, action) in episode.actions.enumerated() {
                let step = try env.step([Float(action)])
                let expected = episode.observations[t]
                for (i, (a, b)) in zip(step.observation, expected).enumerated() where !(Swift.abs(a - b) <= 1e-5) {
                    return XCTFail("\(name) episode \(e) step \(t) observation[\(i)]: \(a) vs Gymnasium \(b)", file: file, line: line)
                }
                guard step.reward == episode.rewards[t] else {
                    return XCTFail("\(name) episode \(e) step \(t) reward \(step.reward) vs Gymnasium \(episode.rewards[t])", file: file, line: line)
                }
                guard step.terminated == episode.terminated[t], step.truncated == episode.truncated[t] else {
                    return XCTFail("\(name) episode \(e) step \(t): flags (\(step.terminated), \(step.truncated)) vs Gymnasium " +
                                   "(\(episode.terminated[t]), \(episode.truncated[t]))", file: file, line: line)
                }
                steps += 1
                if step.terminated { terminations += 1 }
            }
        }
        XCTAssertEqual(steps, 1000, file: file, line: line)
    }

    func testCartPole() throws { try checkAgreement("CartPole-v1") }
    func testAcrobot() throws { try checkAgreement("Acrobot-v1") }
    func testMountainCar() throws { try checkAgreement("MountainCar-v0") }
    func testMountainCarContinuous() throws { try checkAgreement("MountainCarContinuous-v0") }
    func testPendulum() throws { try checkAgreement("Pendulum-v1") }

    /// NumPy's floor-style modulo, worked by hand: ((x + π) mod 2π) − π.
    func testPendulumAngleNormalize_matchesNumPySemantics() throws {
        // Pendulum's reward is −(θ_n² + 0.1·θ̇² + 0.001·u²); with θ̇ = 0 and u = 0 it reveals θ_n.
        let env = try EnvironmentRegistry.make("Pendulum-v1")
        for (theta, normalized) in [(0.5, 0.5), (-0.5, -0.5), (3 * Double.pi / 2, -Double.pi / 2), (-3 * Double.pi / 2, Double.pi / 2),
                                    (7.0, 7.0 - 2 * Double.pi)] {
            env.reset(seed: 0)
            try (env.unwrapped as! PhysicalStateAccess).setPhysicalState([theta, 0])
            let step = try env.step([0])
            XCTAssertEqual(step.reward, -(normalized * normalized), accuracy: 1e-12, "theta \(theta)")
        }
    }
}
