import Foundation
import HerdEnvironments
import HerdRuntime
import HerdTensor
import HerdTransport
import HerdTestSupport
import XCTest

/// `gymnasium:` environments served by `envs/gymnasium_worker.py` (Python
/// Gymnasium in a real worker process) through the same pool.
final class GymnasiumBridgeTests: XCTestCase {
    func bridgePool(_ env: String, perWorker: Int, settings: [String: SettingValue] = [:],
                    encoding: ObservationEncoding = .native) throws -> ProcessPool {
        let python = try pythonWith(["gymnasium", "numpy", "zmq"])
        var config = PoolConfiguration(environment: env, workers: 1, environmentsPerWorker: perWorker, herdExecutable: try herdExecutable())
        config.settings = settings
        config.observationEncoding = encoding
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
                let theirs = batch.finalObservations[j]?.floatValues ?? Array(batch.observations[(j * 4)..<(j * 4 + 4)])
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

    /// Herd's 64-bit environment seeds reach Gymnasium reduced mod 2³²:
    /// environments seeded through numpy's legacy `RandomState` (MinAtar's
    /// wrapper, here a test double) take nothing larger, and used to crash
    /// the worker at every reset.
    func testSeeds_areReducedToWhatLegacyRandomStateTakes() throws {
        setenv("PYTHONPATH", repositoryRoot.appendingPathComponent("Tests/PythonEnvs").path, 1)
        defer { unsetenv("PYTHONPATH") }
        let pool = try bridgePool("gymnasium:herd_test_envs:HerdTest/LegacySeed-v0", perWorker: 2)
        defer { pool.close() }
        let batch = try pool.reset()
        for j in 0..<2 {
            XCTAssertEqual(batch.observations[j * 2], Float(environmentSeed(runSeed: 0, index: j) % (1 << 32) % 65536))
        }
        XCTAssertEqual(pool.workersReplaced, 0)
    }

    /// A uint8 Box observation crosses the wire as u8 (one byte per cell)
    /// and arrives with every value and position intact; `f32` forces four.
    func testUInt8Observations_travelAsBytes() throws {
        setenv("PYTHONPATH", repositoryRoot.appendingPathComponent("Tests/PythonEnvs").path, 1)
        defer { unsetenv("PYTHONPATH") }
        var bytesPerStep: [ObservationDType: Double] = [:]
        for encoding in [ObservationEncoding.native, .f32] {
            let pool = try bridgePool("gymnasium:herd_test_envs:HerdTest/Bytes-v0", perWorker: 2, encoding: encoding)
            defer { pool.close() }
            XCTAssertEqual(pool.observationShape, [2, 3, 4])
            XCTAssertEqual(pool.observationDType, encoding == .native ? .u8 : .f32)
            _ = try pool.reset()
            let before = pool.observationBytesReceived
            for t in 1...4 {
                let batch = try pool.step([1, 2])
                XCTAssertEqual(batch.observations.elementType, encoding == .native ? .uint8 : .float32,
                               "u8 observations stay bytes in the learner's batch")
                for j in 0..<2 {
                    let expected = (0..<24).map { Float((t * 7 + $0 + j + 1) % 256) }
                    XCTAssertEqual(Array(batch.observations[(j * 24)..<((j + 1) * 24)]), expected, "step \(t) env \(j)")
                }
            }
            bytesPerStep[pool.observationDType] = Double(pool.observationBytesReceived - before) / 8
        }
        XCTAssertEqual(bytesPerStep[.u8], 24)
        XCTAssertEqual(bytesPerStep[.f32], 96, "f32 moves 4× the bytes")
    }

    /// Every observation space the bridge carries arrives as Gymnasium's own
    /// `gymnasium.spaces.flatten` gives it (Tuple and Dict in their order,
    /// one-hot for each discrete part), an H×W×C image channels first, and
    /// a `Discrete` action space with a `start` acts from it. Each row of
    /// each step is compared with what Python computes for the same step.
    func testEverySpace_arrivesFlattenedAsGymnasiumFlattensIt() throws {
        let tests = repositoryRoot.appendingPathComponent("Tests/PythonEnvs").path
        setenv("PYTHONPATH", tests, 1)
        defer { unsetenv("PYTHONPATH") }
        let python = try pythonWith(["gymnasium", "numpy", "zmq"])
        let kinds: [(String, [Int], ObservationDType)] = [
            ("tuple", [3 + 2 + 2], .f32), ("dict", [4 + 2], .f32), ("multidiscrete", [3 + 2 + 4], .f32),
            ("multibinary", [6], .u8), ("hwc", [3, 6, 5], .u8), ("int_box", [2, 2], .f32), ("discrete_start", [3], .f32),
        ]
        for (kind, shape, dtype) in kinds {
            let reference = try runPython(python, """
                import json, sys, numpy as np, gymnasium as gym, herd_test_envs as e
                kind = sys.argv[1]; space, _ = e.spaces_for(kind)
                def row(o):
                    if kind == "hwc": return np.transpose(o, (2, 0, 1)).ravel().tolist()
                    if kind in ("multibinary", "int_box"): return np.asarray(o).ravel().tolist()
                    return gym.spaces.flatten(space, o).astype(float).tolist()
                print(json.dumps([row(e.spaces_observation(kind, t)) for t in range(4)]))
                """, [kind])
            XCTAssertEqual(reference.status, 0, reference.stderr)
            let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reference.stdout.utf8)) as? [[Double]])
            let pool = try bridgePool("gymnasium:herd_test_envs:HerdTest/Spaces-v0", perWorker: 2, settings: ["kind": .string(kind)])
            defer { pool.close() }
            XCTAssertEqual(pool.observationShape, shape, kind)
            XCTAssertEqual(pool.observationDType, dtype, kind)
            let size = shape.reduce(1, *)
            var batch = try pool.reset()
            for t in 0..<4 {
                for j in 0..<2 {
                    XCTAssertEqual(Array(batch.observations[(j * size)..<((j + 1) * size)]), rows[t].map { Float($0) }, "\(kind) step \(t)")
                }
                batch = try pool.step([1, 1])
                if kind == "discrete_start" { XCTAssertEqual(batch.rewards, [11, 11], "action 1 of Discrete(3, start=10) is 11") }
            }
        }
    }

    /// A space the bridge cannot carry — Text, a Sequence inside a Tuple, a
    /// MultiDiscrete action space — is refused when the pool starts, in one
    /// sentence that names it and says what to do; no worker is replaced.
    func testUncarriedSpaces_areRefusedAtOnce_namingTheSpace() throws {
        setenv("PYTHONPATH", repositoryRoot.appendingPathComponent("Tests/PythonEnvs").path, 1)
        defer { unsetenv("PYTHONPATH") }
        for (kind, named) in [("text", "observation space Text("), ("nested_sequence", "observation space Sequence(Discrete(2)"),
                              ("multidiscrete_actions", "action space MultiDiscrete([2 2])")] {
            XCTAssertThrowsError(try bridgePool("gymnasium:herd_test_envs:HerdTest/Spaces-v0", perWorker: 1, settings: ["kind": .string(kind)])) { error in
                XCTAssertTrue("\(error)".contains(named), "\(kind): \(error)")
                XCTAssertTrue("\(error)".contains("cannot be carried"), "\(kind): \(error)")
                XCTAssertTrue("\(error)".contains("environment.wrappers"), "\(kind): \(error)")
            }
        }
    }

    /// `bf16` halves float observations: each value is its float32 rounded to
    /// bfloat16 (8 bits of mantissa), the same as the built-in's rounded.
    func testBF16Observations_throughTheBridge() throws {
        let pool = try bridgePool("gymnasium:CartPole-v1", perWorker: 2, encoding: .bf16)
        defer { pool.close() }
        XCTAssertEqual(pool.observationDType, .bf16)
        let reference = try bridgePool("gymnasium:CartPole-v1", perWorker: 2)
        defer { reference.close() }
        let (a, b) = (try pool.reset(), try reference.reset())
        XCTAssertEqual(a.observations.floatValues, ObservationBlock(b.observations.floatValues, as: .bf16).floats, "same seeds, rounded to bf16")
        XCTAssertNotEqual(a.observations, b.observations)
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

    /// Atari through the bridge with the standard preprocessing worker-side
    /// (Gymnasium's AtariPreprocessing and FrameStackObservation, as
    /// configs/pong_vtrace.yaml asks for): every step's 4×84×84 frame stack
    /// arrives as u8 and equals what Gymnasium itself gives for the same seed
    /// and actions (`Tests/PythonEnvs/atari_reference.py`), across resets and
    /// no-op starts (`terminal_on_life_loss` is on here to end many episodes
    /// in 300 steps; the shipped configs leave it off, docs/environments.md). Skipped with a message where ale-py cannot be
    /// imported; `.ci/run` installs it.
    func testAtariPreprocessing_throughTheBridge_matchesGymnasium() throws {
        let python = try pythonWith(["gymnasium", "numpy", "zmq", "ale_py", "cv2"])
        var config = PoolConfiguration(environment: "gymnasium:ale_py:ALE/Breakout-v5", workers: 1, environmentsPerWorker: 1,
                                       herdExecutable: try herdExecutable())
        config.settings = ["frameskip": .int(1), "repeat_action_probability": .double(0)]
        config.wrappers = [("AtariPreprocessing", ["noop_max": .int(30), "frame_skip": .int(4), "screen_size": .int(84),
                                                   "terminal_on_life_loss": .bool(true), "grayscale_obs": .bool(true)]),
                           ("FrameStackObservation", ["stack_size": .int(4)])]
        config.seed = 11
        config.gymnasiumWorkerScript = repositoryRoot.appendingPathComponent("envs/gymnasium_worker.py").path
        if python != "/usr/bin/env" { config.pythonExecutable = python }
        config.logEvents = false
        config.stepTimeout = 30
        let pool = try ProcessPool(config)
        defer { pool.close() }
        XCTAssertEqual(pool.observationShape, [4, 84, 84])
        XCTAssertEqual(pool.observationDType, .u8)
        let actions = (0..<300).map { ($0 * 7 + $0 / 11) % 4 }
        let script = repositoryRoot.appendingPathComponent("Tests/PythonEnvs/atari_reference.py").path
        let reference = try runPythonFile(python, script, ["ALE/Breakout-v5", "\(environmentSeed(runSeed: 11, index: 0) % (1 << 32))",
                                                           actions.map(String.init).joined(separator: ",")])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        let lines = try reference.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(lines.count, actions.count + 1)
        func checksums(_ observation: [Float]) -> (Int, Int) {
            var total = 0, weighted = 0
            for (i, x) in observation.enumerated() {
                total += Int(x)
                weighted += Int(x) * (i % 251 + 1)
            }
            return (total, weighted)
        }
        var batch = try pool.reset()
        var episodes = 0
        for t in 0...actions.count {
            if t > 0 { batch = try pool.step([Float(actions[t - 1])]) }
            let (total, weighted) = checksums(batch.observations.floatValues)
            let expected = lines[t]
            XCTAssertEqual(total, expected["sum"] as? Int, "step \(t): frame stack differs from Gymnasium's")
            XCTAssertEqual(weighted, expected["weighted"] as? Int, "step \(t)")
            if t > 0 {
                XCTAssertEqual(batch.rewards[0], expected["reward"] as? Double, "step \(t)")
                XCTAssertEqual(batch.terminated[0], expected["terminated"] as? Bool, "step \(t)")
                XCTAssertEqual(batch.truncated[0], expected["truncated"] as? Bool, "step \(t)")
                if batch.terminated[0] { episodes += 1 }
            }
            if total != expected["sum"] as? Int { break }
        }
        XCTAssertGreaterThan(episodes, 1, "lost lives ended episodes and the worker reset")
        XCTAssertEqual(pool.observationBytesReceived, (actions.count + 1) * 4 * 84 * 84 + episodes * 4 * 84 * 84,
                       "one byte per pixel, final observations included")
    }

    /// The worker's `EpisodicLife` (configs/pong_vtrace.yaml,
    /// configs/breakout_ppo.yaml): the step that loses a life is terminated,
    /// and the reset that follows keeps the game (one life fewer, not a new
    /// game of five); only the last life's loss restarts it. Checked on
    /// ALE Breakout in Python, with the worker's own class.
    func testEpisodicLife_endsTheEpisodeButNotTheGame() throws {
        let python = try pythonWith(["gymnasium", "numpy", "zmq", "ale_py", "cv2"])
        let worker = repositoryRoot.appendingPathComponent("envs").path
        let script = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import gymnasium as gym, ale_py
        from gymnasium_worker import EpisodicLife
        env = gym.make("ALE/Breakout-v5", frameskip=1, repeat_action_probability=0.0)
        env = gym.wrappers.AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84, terminal_on_life_loss=False)
        env = EpisodicLife(env)
        env.reset(seed=3)
        lives_after_resets, steps = [], 0
        while len(lives_after_resets) < 6 and steps < 20000:
            _, _, terminated, truncated, _ = env.step(steps % 4)
            steps += 1
            if terminated or truncated:
                env.reset()
                lives_after_resets.append(env.unwrapped.ale.lives())
        print(",".join(map(str, lives_after_resets)))
        """
        let result = try runPython(python, script, [worker])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lives = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
        // Breakout has 5 lives: episodes end at 4, 3, 2, 1 lives left, then the game restarts with 5.
        XCTAssertEqual(lives, [4, 3, 2, 1, 5, 4], "lives after each reset")
    }
}
