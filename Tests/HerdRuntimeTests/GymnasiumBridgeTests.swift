import Foundation
import HerdEnvironments
import HerdRuntime
import HerdTestSupport
import XCTest

/// `gymnasium:` environments served by `envs/gymnasium_worker.py` (Python
/// Gymnasium in a real worker process) through the same pool.
final class GymnasiumBridgeTests: XCTestCase {
    func bridgePool(_ env: String, perWorker: Int, settings: [String: SettingValue] = [:]) throws -> ProcessPool {
        let python = try pythonWith(["gymnasium", "numpy", "zmq"])
        var config = PoolConfiguration(environment: env, workers: 1, environmentsPerWorker: perWorker, herdExecutable: try herdExecutable())
        config.settings = settings
        config.gymnasiumWorkerScript = repositoryRoot.appendingPathComponent("envs/gymnasium_worker.py").path
        if python != "/usr/bin/env" { config.pythonExecutable = python }
        config.logEvents = false
        config.stepTimeout = 10
        return try ProcessPool(config)
    }

    /// Each transition the bridge reports, replayed on the built-in from the
    /// same state (CartPole's observation is its state, in Float32): the next
    /// observation agrees within 1e-5, rewards and flags exactly.
    func testCartPoleThroughTheBridge_agreesWithTheBuiltIn() throws {
        let pool = try bridgePool("gymnasium:CartPole-v1", perWorker: 3)
        defer { pool.close() }
        XCTAssertEqual(pool.observationSize, 4)
        XCTAssertEqual(pool.discreteActions, 2)
        let builtIn = try EnvironmentRegistry.make("CartPole-v1")
        var observations = try pool.reset().observations
        var checked = 0, episodes = 0
        for t in 0..<150 {
            let actions = (0..<3).map { Float(($0 + t / 3) % 2) }
            let batch = try pool.step(actions)
            for j in 0..<3 {
                builtIn.reset(seed: 0)
                try (builtIn.unwrapped as! PhysicalStateAccess).setPhysicalState(observations[(j * 4)..<(j * 4 + 4)].map(Double.init))
                let ours = try builtIn.step([actions[j]])
                let theirs = batch.finalObservations[j] ?? Array(batch.observations[(j * 4)..<(j * 4 + 4)])
                for (a, b) in zip(ours.observation, theirs) { XCTAssertEqual(a, b, accuracy: 1e-5, "env \(j) step \(t)") }
                XCTAssertEqual(ours.reward, batch.rewards[j])
                XCTAssertEqual(ours.terminated, batch.terminated[j])
                if batch.terminated[j] { episodes += 1 }
                checked += 1
            }
            observations = batch.observations
        }
        XCTAssertEqual(checked, 450)
        XCTAssertGreaterThan(episodes, 3, "episodes ended and auto-reset through the bridge")
    }

    func testBoxActionsSettingsAndErrors_throughTheBridge() throws {
        let pool = try bridgePool("gymnasium:Pendulum-v1", perWorker: 2, settings: ["g": .double(9.81)])
        defer { pool.close() }
        XCTAssertNil(pool.discreteActions)
        XCTAssertEqual(pool.actionSize, 1)
        _ = try pool.reset()
        var last = Batch()
        for _ in 0..<200 { last = try pool.step([0.5, -3]) }
        XCTAssertEqual(last.truncated, [true, true], "the 200-step limit of gym.make truncates")
        XCTAssertEqual(last.finalObservations.count, 2)
        XCTAssertThrowsError(try pool.step([.nan, 0]))
        var config = PoolConfiguration(environment: "gymnasium:NoSuchEnv-v9", workers: 1, environmentsPerWorker: 1, herdExecutable: try herdExecutable())
        config.gymnasiumWorkerScript = repositoryRoot.appendingPathComponent("envs/gymnasium_worker.py").path
        config.logEvents = false
        XCTAssertThrowsError(try ProcessPool(config)) { error in
            XCTAssertTrue("\(error)".contains("NoSuchEnv-v9"), "\(error)")
        }
    }
}
