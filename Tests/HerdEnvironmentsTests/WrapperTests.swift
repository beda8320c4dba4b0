import Foundation
import HerdEnvironments
import HerdTestSupport
import XCTest

final class WrapperTests: XCTestCase {
    func testTimeLimit_truncatesOnTheLimitStep_andKeepsTermination() throws {
        let env = TimeLimit(ScriptedEnvironment(episodeLength: 3), maxEpisodeSteps: 3)
        env.reset(seed: 0)
        XCTAssertFalse(try env.step([0]).truncated)
        XCTAssertFalse(try env.step([0]).truncated)
        let last = try env.step([0])
        XCTAssertTrue(last.truncated && last.terminated, "both flags when the limit and the end coincide")
        XCTAssertEqual(env.elapsedSteps, 3)
        let short = TimeLimit(ScriptedEnvironment(episodeLength: 100), maxEpisodeSteps: 2)
        short.reset(seed: 0)
        _ = try short.step([0])
        let cut = try short.step([0])
        XCTAssertTrue(cut.truncated)
        XCTAssertFalse(cut.terminated)
        short.reset(seed: 0)
        XCTAssertEqual(short.elapsedSteps, 0)
    }

    func testEpisodeStatistics_returnsAndLengths() throws {
        let script = ScriptedEnvironment(rewards: [1, 2], episodeLength: 3)
        let env = EpisodeStatistics(script)
        env.reset(seed: 0)
        for _ in 0..<3 { _ = try env.step([0]) }
        script.rewards = [0.5]
        env.reset(seed: 0)
        for _ in 0..<3 { _ = try env.step([0]) }
        // Episode 1: rewards 1, 2, 1 = 4; episode 2: three times 0.5.
        XCTAssertEqual(env.drain(), [.init(totalReturn: 4, length: 3), .init(totalReturn: 1.5, length: 3)])
        XCTAssertTrue(env.drain().isEmpty)
    }

    /// Against BatchPPO's definitions written directly: each value is
    /// normalised with the sample mean and variance of the values before it,
    /// (x − mean) / (√(var + 1e-4) + 1e-8) from the second value on, then
    /// clipped to ±5.
    func testNormalizeObservation_matchesDirectComputation() throws {
        var rng = RandomGenerator(seed: 4)
        let values = (0..<210).map { _ in Float(3 + 2 * rng.nextNormal()) }  // 200 checked, spares for the frozen step
        final class Replay: Environment {
            let name = "Replay"
            let observationSpace = Space.box(low: -.infinity, high: .infinity, shape: [1])
            let actionSpace = Space.discrete(1)
            let values: [Float]
            var t = 0
            init(_ values: [Float]) { self.values = values }
            func reset(seed: UInt64?, into o: UnsafeMutableBufferPointer<Float>) { t = 0; o[0] = values[0] }
            func step(_ a: UnsafeBufferPointer<Float>, into o: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
                t += 1
                o[0] = values[t]
                return StepOutcome(reward: 0, terminated: false, truncated: false)
            }
        }
        let env = NormalizeObservation(Replay(values))
        var seen: [Double] = []
        func expected(_ x: Float) -> Float {
            var v = Double(x)
            if !seen.isEmpty {
                let mean = seen.reduce(0, +) / Double(seen.count)
                v -= mean
                if seen.count > 1 {
                    let variance = seen.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(seen.count - 1)
                    v /= (variance + 1e-4).squareRoot() + 1e-8
                }
            }
            return Float(min(max(v, -5), 5))
        }
        XCTAssertEqual(env.reset(seed: 0)[0], expected(values[0]))
        seen.append(Double(values[0]))
        for t in 1..<200 {
            let got = try env.step([0]).observation[0]
            XCTAssertEqual(got, expected(values[t]), accuracy: 1e-5, "step \(t)")
            seen.append(Double(values[t]))
        }
        // The first observation is only clipped (no statistics yet).
        XCTAssertEqual(NormalizeObservation(Replay([9, 1])).reset(seed: 0), [5])
        // Saved statistics restore into a fresh wrapper and continue identically.
        let restored = NormalizeObservation(Replay(values))
        try restored.restore(env.statistics)
        XCTAssertEqual(restored.statistics, env.statistics)
        XCTAssertEqual(restored.statistics.count, 200)
        XCTAssertThrowsError(try NormalizeObservation(ScriptedEnvironment()).restore(.init(count: 1, mean: [0, 0], varianceSum: [0, 0])))
        // With updating off, the statistics stay put.
        env.updating = false
        let frozen = env.statistics
        _ = try env.step([0])
        XCTAssertEqual(env.statistics, frozen)
    }

    func testScaleReward_dividesByStreamingStdWithoutCentering() throws {
        let rewards: [Double] = [2, 4, 6, 8, 100]
        let env = ScaleReward(ScriptedEnvironment(rewards: rewards, episodeLength: 100))
        env.reset(seed: 0)
        XCTAssertEqual(try env.step([0]).reward, 2, "nothing to scale by yet")
        XCTAssertEqual(try env.step([0]).reward, 4, "one value seen: not scaled")
        // Two seen (2, 4): std = √(2 + 1e-4); 6 / (std + 1e-8).
        XCTAssertEqual(try env.step([0]).reward, Double(Float(6 / ((2 + 1e-4).squareRoot() + 1e-8))), accuracy: 1e-6)
        _ = try env.step([0])
        XCTAssertEqual(try env.step([0]).reward, 10, "clipped to +10")
    }

    func testRescaleAndClipAction() throws {
        let inner = ScriptedEnvironment(actionSpace: .box(low: [-2, 0], high: [2, 10], shape: [2]))
        let rescaled = RescaleAction(inner)
        rescaled.reset(seed: 0)
        _ = try rescaled.step([-1, 1])
        _ = try rescaled.step([0.5, 0])
        XCTAssertEqual(inner.actions, [[-2, 10], [1, 5]])
        XCTAssertEqual(rescaled.actionSpace, .box(low: -1, high: 1, shape: [2]))
        XCTAssertThrowsError(try rescaled.step([1.5, 0])) { error in
            XCTAssertTrue("\(error)".contains("action [1.5, 0.0] is not in the action space Box(-1.0, 1.0, (2,), float32)"), "\(error)")
        }
        let clippedInner = ScriptedEnvironment(actionSpace: .box(low: [-2, 0], high: [2, 10], shape: [2]))
        let clipped = ClipAction(clippedInner)
        clipped.reset(seed: 0)
        _ = try clipped.step([-7, 3])
        XCTAssertEqual(clippedInner.actions, [[-2, 3]])
        // On a real environment: a clipped action equals its bound.
        let a = ClipAction(try EnvironmentRegistry.make("Pendulum-v1")), b = try EnvironmentRegistry.make("Pendulum-v1")
        XCTAssertEqual(a.reset(seed: 3), b.reset(seed: 3))
        XCTAssertEqual(try a.step([9]), try b.step([2]))
    }

    func testFrameStack_oldestFirst_resetPadsWithTheFirstObservation() throws {
        let env = FrameStack(ScriptedEnvironment(), count: 3)
        XCTAssertEqual(env.observationSpace.shape, [3, 1])
        XCTAssertEqual(env.reset(seed: 0), [0, 0, 0])
        XCTAssertEqual(try env.step([0]).observation, [0, 0, 1])
        XCTAssertEqual(try env.step([0]).observation, [0, 1, 2])
        XCTAssertEqual(try env.step([0]).observation, [1, 2, 3])
        XCTAssertEqual(env.reset(seed: 0), [0, 0, 0])
        let catchFrames = FrameStack(try EnvironmentRegistry.make("Catch-v0"), count: 2)
        XCTAssertEqual(catchFrames.observationSpace.shape, [2, 1, 10, 5])
        XCTAssertEqual(catchFrames.reset(seed: 1).count, 100)
    }

    func testWrappersPassTheEpisodeEnd_andUnwrappedFindsTheCore() throws {
        let env = EpisodeStatistics(NormalizeObservation(try EnvironmentRegistry.make("CartPole-v1")))
        XCTAssertTrue(env.unwrapped is CartPole)
        env.reset(seed: 0)
        var step = try env.step(1)
        while !step.terminated { step = try env.step(1) }
        XCTAssertThrowsError(try env.step(1))
    }
}
