import Foundation
import HerdEnvironments
import HerdTestSupport
import XCTest

/// MinAtar agrees with the `minatar` package (1.0.15) bit for bit: the
/// committed runs (`Fixtures/minatar_reference.py record`: 5 games × both
/// action sets × 23 seeds × 1,000 random actions, with ramping off and sticky
/// actions off in some) through their running hashes, and step by step
/// beside the package itself where Python can import it.
final class MinAtarAgreementTests: XCTestCase {
    // MARK: numpy's RandomState

    /// Values printed by numpy 2.4 (`RandomState(seed)`: `randint(0, 2**32,
    /// dtype=uint64)` is the raw word, then `rand`, `randint`).
    func testRandomState_matchesNumPy() {
        let expected: [(UInt32, [UInt32], [Double], [Int], [Int], [Int], Int)] = [
            (0, [2_357_136_044, 2_546_248_239, 3_071_714_933], [0.5488135039273248, 0.7151893663724195, 0.6027633760716439],
             [5, 1, 4, 4, 4, 2, 4, 3], [0, 1, 0, 0, 0], [5, 3, 2, 7, 8], 87),
            (42, [1_608_637_542, 3_421_126_067, 4_083_286_876], [0.3745401188473625, 0.9507143064099162, 0.7319939418114051],
             [4, 5, 3, 5, 5, 2, 3, 3], [0, 1, 0, 1, 1], [8, 3, 6, 5, 2], 343),
            (4_294_967_295, [419_326_371, 479_346_978, 3_918_654_476], [0.0976320289940138, 0.9123828453026218, 0.78903530185164],
             [4, 3, 5, 5, 1, 3, 2, 1], [1, 1, 0, 1, 1], [3, 4, 6, 7, 8], 311),
        ]
        for (seed, words, doubles, speeds, coins, rows, after) in expected {
            var r = NumpyRandomState(seed: seed)
            XCTAssertEqual((0..<3).map { _ in r.nextUInt32() }, words, "seed \(seed)")
            r = NumpyRandomState(seed: seed)
            XCTAssertEqual((0..<3).map { _ in r.rand() }, doubles, "seed \(seed)")
            r = NumpyRandomState(seed: seed)
            XCTAssertEqual((0..<8).map { _ in r.randint(1, 6) }, speeds, "randint(1, 6, 8), seed \(seed)")
            XCTAssertEqual((0..<5).map { _ in r.randint(2) }, coins, "randint(2), seed \(seed)")
            XCTAssertEqual((0..<5).map { _ in r.randint(1, 9) }, rows, "randint(1, 9), seed \(seed)")
            XCTAssertEqual(r.randint(1), 0, "randint(1) draws nothing")
            XCTAssertEqual(r.randint(0, 1000), after, "randint(0, 1000) after randint(1), seed \(seed)")
        }
        // Past the first regeneration of the 624-word state.
        var r = NumpyRandomState(seed: 7)
        for _ in 0..<699 { _ = r.rand() }
        XCTAssertEqual(r.rand(), 0.33871568992326884)
    }

    // MARK: The committed reference runs

    struct Reference: Decodable {
        struct Run: Decodable {
            var env: String
            var seed: UInt64
            var sticky_action_prob: Double
            var difficulty_ramping: Bool
            var episodes: Int
            var total_reward: Double
            var hashes: [String]
        }
        var minatar_version: String
        var steps: Int
        var checkpoint: Int
        var runs: [Run]
    }

    /// The running hash of `minatar_reference.py`, fed the same way.
    struct FNV1a {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        mutating func feed<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        mutating func feed(observation: [Float]) { feed(observation.map { UInt8($0) }) }
    }

    func testEveryGame_matchesTheReferenceRuns() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/minatar_reference", withExtension: "json"))
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        XCTAssertEqual(reference.minatar_version, "1.0.15")
        XCTAssertEqual(Set(reference.runs.map(\.env)).count, 10, "5 games × 2 action sets")
        XCTAssertGreaterThanOrEqual(reference.runs.count, 10 * 20)
        for run in reference.runs {
            let env = try EnvironmentRegistry.make(run.env, settings: [
                "sticky_action_prob": .double(run.sticky_action_prob), "difficulty_ramping": .bool(run.difficulty_ramping)])
            guard case let .discrete(actionCount) = env.actionSpace else { return XCTFail("\(run.env): discrete actions") }
            var actions = NumpyRandomState(seed: UInt32(1000 + run.seed))
            var hash = FNV1a(), hashes: [String] = [], episodes = 0, total = 0.0
            var observation = env.reset(seed: run.seed)
            for t in 0..<reference.steps {
                let step = try env.step(actions.randint(actionCount))
                hash.feed(observation: observation)
                withUnsafeBytes(of: step.reward.bitPattern.littleEndian) { hash.feed($0) }
                hash.feed([step.terminated ? 1 : 0])
                XCTAssertFalse(step.truncated)
                if step.terminated {
                    hash.feed(observation: step.observation)
                    episodes += 1
                    observation = env.reset()
                } else {
                    observation = step.observation
                }
                total += step.reward
                if (t + 1) % reference.checkpoint == 0 { hashes.append(String(format: "%016llx", hash.value)) }
            }
            let label = "\(run.env) seed \(run.seed) sticky \(run.sticky_action_prob) ramping \(run.difficulty_ramping)"
            XCTAssertEqual(hashes.count, run.hashes.count)
            if let diverged = Array(zip(hashes, run.hashes)).firstIndex(where: { $0 != $1 }) {
                XCTFail("\(label): differs from the package within steps \(diverged * reference.checkpoint + 1)…\((diverged + 1) * reference.checkpoint)"
                        + " (episodes \(episodes) vs \(run.episodes), reward \(total) vs \(run.total_reward)); the side-by-side test shows the step")
            }
        }
    }

    // MARK: Beside the package

    func testSideBySide_withTheInstalledPackage() throws {
        let python = try pythonWith(["minatar", "numpy"])
        let script = repositoryRoot.appendingPathComponent("Tests/HerdEnvironmentsTests/Fixtures/minatar_reference.py").path
        for title in ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"] {
            for version in ["v0", "v1"] {
                let name = "MinAtar/\(title)-\(version)", seed: UInt64 = 12_345, count = 1000
                let result = try runPythonFile(python, script, ["trace", name, "\(seed)", "\(count)"])
                XCTAssertEqual(result.status, 0, result.stderr)
                let lines = result.stdout.split(separator: "\n")
                XCTAssertEqual(lines.count, count)
                let env = try EnvironmentRegistry.make(name)
                env.reset(seed: seed)
                for (t, line) in lines.enumerated() {
                    let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    let action = try XCTUnwrap(expected["action"] as? Int)
                    let step = try env.step(action)
                    let obs = try XCTUnwrap(expected["obs"] as? [Int]).map(Float.init)
                    let reward = try XCTUnwrap(expected["reward"] as? Double), terminal = try XCTUnwrap(expected["terminal"] as? Bool)
                    guard step.observation == obs, step.reward == reward, step.terminated == terminal else {
                        let cells = zip(step.observation, obs).enumerated().filter { $0.element.0 != $0.element.1 }
                            .map { "channel \($0.offset / 100) row \($0.offset % 100 / 10) column \($0.offset % 10)" }
                        return XCTFail("\(name) seed \(seed) step \(t + 1) action \(action): reward \(step.reward) vs \(reward), "
                                       + "terminal \(step.terminated) vs \(terminal), cells differing: \(cells.prefix(5))")
                    }
                    if terminal { env.reset() }
                }
            }
        }
    }

    // MARK: Spaces and settings

    func testSpacesAndActionSets() throws {
        let channels = ["Asterix": 4, "Breakout": 4, "Freeway": 7, "Seaquest": 10, "SpaceInvaders": 6]
        let minimal = ["Asterix": 5, "Breakout": 3, "Freeway": 3, "Seaquest": 6, "SpaceInvaders": 4]
        for (title, n) in channels {
            let full = try EnvironmentRegistry.make("MinAtar/\(title)-v0"), small = try EnvironmentRegistry.make("MinAtar/\(title)-v1")
            XCTAssertEqual(full.observationSpace.shape, [n, 10, 10])
            XCTAssertEqual(full.actionSpace, .discrete(6))
            XCTAssertEqual(small.actionSpace, .discrete(minimal[title]!))
        }
        XCTAssertThrowsError(try EnvironmentRegistry.make("MinAtar/Breakout-v1", settings: ["sticky_action_prob": .double(1.5)]))
        XCTAssertThrowsError(try EnvironmentRegistry.make("MinAtar/Breakout-v1", settings: ["sticky": .double(0.5)]))
    }
}
