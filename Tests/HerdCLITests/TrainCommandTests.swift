import Foundation
import HerdTestSupport
import HerdTraining
import XCTest

/// `herd train`, `herd eval` and `herd plot` as a user runs them: real worker
/// processes, real files.
final class TrainCommandTests: XCTestCase {
    var herd: String { get throws { try herdExecutable() } }
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("herd-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    /// A short CartPole run: 2 workers × 4 environments, log every 2048 steps.
    func train(_ run: String, steps: Int, extra: [String] = []) throws -> ProcessResult {
        try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", scratch.appendingPathComponent(run).path,
                                  "--seed", "3", "--set", "total_steps=\(steps)", "--set", "logging.interval_steps=2048",
                                  "--set", "evaluation.interval_steps=0", "--set", "checkpoint.interval_steps=8192"] + extra,
                       currentDirectory: repositoryRoot)
    }

    func metrics(_ run: String) throws -> [[String: Double]] {
        try MetricsLog.read(scratch.appendingPathComponent(run).appendingPathComponent("metrics.jsonl"))
    }

    func testShortRun_improvesReturn_andSameSeedGivesSameLosses() throws {
        let first = try train("a", steps: 16384)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("run directory: \(scratch.appendingPathComponent("a").path)"), first.stdout)
        XCTAssertEqual(try train("b", steps: 16384).status, 0)
        let a = try metrics("a"), b = try metrics("b")
        XCTAssertEqual(a.count, 8)
        let lossKeys = ["policy_loss", "value_loss", "entropy", "kl", "clip_fraction", "episode_return_mean"]
        for (x, y) in zip(a, b) {
            for key in lossKeys { XCTAssertEqual(x[key], y[key], "\(key) differs at step \(x["step"] ?? -1)") }
        }
        let early = a[0]["episode_return_mean"]!, late = a.last!["episode_return_mean"]!
        XCTAssertGreaterThan(late, 2 * early, "mean return \(early) → \(late)")
        for key in ["step", "wall_seconds", "episode_return_mean", "episode_length_mean", "policy_loss", "value_loss",
                    "kl", "entropy", "steps_per_second", "device_busy_seconds", "device_bytes_to_device"] {
            XCTAssertNotNil(a[0][key], "metrics.jsonl lacks \(key)")
        }
    }

    func testRunDirectory_eventFileCheckpointsEvalPlotAndResume() throws {
        XCTAssertEqual(try train("r", steps: 10240).status, 0)
        let run = RunDirectory(url: scratch.appendingPathComponent("r"))
        for file in [run.config, run.metrics, run.summary] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.path), "missing \(file.lastPathComponent)")
        }
        // The resolved config loads again and says what ran.
        let resolved = try TrainConfig.load(run.config)
        XCTAssertEqual(resolved.totalSteps, 10240)
        XCTAssertEqual(resolved.seed, 3)
        // The event file parses with every CRC checked and holds the scalars.
        XCTAssertEqual(run.eventFiles.count, 1)
        let events = try EventFileReader.read(run.eventFiles[0])
        let scalarSteps = events.filter { $0.scalars["loss/policy"] != nil }.map(\.step)
        XCTAssertEqual(scalarSteps, [2048, 4096, 6144, 8192, 10240])
        XCTAssertNotNil(events.last?.scalars["episode/return_mean"])
        XCTAssertNotNil(events.last?.scalars["perf/steps_per_second"])
        // Checkpoints at the interval and the end; they load for evaluation.
        XCTAssertEqual(CheckpointStore(directory: run.checkpoints, keep: 3).list().map(\.step), [8192, 10240])
        let eval = try runProcess(try herd, ["eval", run.url.path, "--episodes", "5", "--deterministic", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let result = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Double]
        XCTAssertEqual(result?["episodes"], 5)
        for key in ["mean_return", "std_return", "mean_length"] { XCTAssertNotNil(result?[key], eval.stdout) }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.summary)) as? [String: Any]
        XCTAssertEqual(summary?["steps"] as? Int, 10240)
        XCTAssertGreaterThan((summary?["steps_per_second"] as? Double) ?? 0, 0)

        // Resume to 14336 steps: the counter continues, the TensorBoard curve too.
        let resumed = try runProcess(try herd, ["train", "--resume", "--run-dir", run.url.path, "--set", "total_steps=14336"],
                                     currentDirectory: repositoryRoot)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed from \(run.checkpoints.path)/step-000000010240.safetensors at step 10240"), resumed.stderr)
        XCTAssertEqual(try metrics("r").compactMap { $0["step"] }, [2048, 4096, 6144, 8192, 10240, 12288, 14336])
        XCTAssertEqual(run.eventFiles.count, 2)
        let continued = try EventFileReader.read(run.eventFiles[1])
        XCTAssertEqual(continued.first { $0.sessionStart }?.step, 10241)
        XCTAssertEqual(continued.filter { !$0.scalars.isEmpty }.map(\.step), [12288, 14336])

        // A damaged newest checkpoint is named and the previous one used.
        try Data("not a checkpoint".utf8).write(to: CheckpointStore(directory: run.checkpoints, keep: 3).url(step: 14336))
        let fallback = try runProcess(try herd, ["eval", run.url.path, "--episodes", "2", "--json"])
        XCTAssertEqual(fallback.status, 0, fallback.stderr)
        XCTAssertTrue(fallback.stderr.contains("step-000000014336.safetensors"), fallback.stderr)

        let svg = scratch.appendingPathComponent("curve.svg")
        let plot = try runProcess(try herd, ["plot", run.url.path, "--out", svg.path])
        XCTAssertEqual(plot.status, 0, plot.stderr)
        XCTAssertTrue(try String(contentsOf: svg, encoding: .utf8).contains("<polyline"))
    }

    func testSIGINT_writesALoadableCheckpointAndExitsZero() throws {
        let runURL = scratch.appendingPathComponent("sig")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try herd)
        process.arguments = ["train", "configs/cartpole_ppo.yaml", "--run-dir", runURL.path, "--set", "total_steps=100000000",
                             "--set", "logging.interval_steps=1024", "--set", "evaluation.interval_steps=0"]
        process.currentDirectoryURL = repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let metricsFile = runURL.appendingPathComponent("metrics.jsonl")
        XCTAssertTrue(eventually(30) { ((try? MetricsLog.read(metricsFile))?.count ?? 0) >= 2 }, "no metrics lines")
        process.interrupt()
        process.waitUntilExit()  // how fast: TimingTests
        XCTAssertEqual(process.terminationStatus, 0)
        let checkpoints = CheckpointStore(directory: runURL.appendingPathComponent("checkpoints"), keep: 3).list()
        XCTAssertEqual(checkpoints.count, 1)
        let eval = try runProcess(try herd, ["eval", checkpoints[0].url.path, "--episodes", "2", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let summary = try String(contentsOf: runURL.appendingPathComponent("summary.json"), encoding: .utf8)
        XCTAssertTrue(summary.contains("\"stopped_by_signal\": true"), summary)
    }

    func testBadConfigs_giveThePromisedMessages() throws {
        let cases: [([String], String)] = [
            (["--set", "ppo.learnin_rate=0.1"], "--set ppo.learnin_rate=0.1 (over \(repositoryRoot.path)/configs/cartpole_ppo.yaml): unknown key 'ppo.learnin_rate'"),
            (["--set", "ppo.epochs=lots"], "configs/cartpole_ppo.yaml): 'ppo.epochs' must be an integer, found \"lots\""),
            (["--set", "ppo.gamma=2"], "configs/cartpole_ppo.yaml): 'ppo.gamma' = 2.0 is not allowed: it must be in [0, 1]"),
            (["--set", "environment.name=Nope-v0"], "unknown environment 'Nope-v0'"),
            (["--device", "nope"], "'device' = nope is not allowed: it must be cpu or a simulated accelerator NAME[:fp32|bf16|int8] (no profile 'nope'"),
            (["--set", "network.conv_channels=[8]"], "'network.conv_channels' = [8] is not allowed: it must fit the observations"),
            (["--listen", "tcp://127.0.0.1:5999"], "'fleet.listen' = tcp://127.0.0.1:5999 is not allowed"),
        ]
        for (arguments, message) in cases {
            let result = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", scratch.appendingPathComponent("bad").path]
                                        + arguments, currentDirectory: repositoryRoot)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let missing = try runProcess(try herd, ["train", "--resume", "--run-dir", scratch.appendingPathComponent("none").path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("config.yaml: cannot read"), missing.stderr)
    }

    /// V-trace through central inference: real workers, the inference thread
    /// and the learner; the run directory as for PPO plus SEED's figures.
    func testVTraceRun_learns_logsInferenceAndLag_andResumes() throws {
        let run = RunDirectory(url: scratch.appendingPathComponent("vt"))
        func train(_ steps: Int, resume: Bool = false) throws -> ProcessResult {
            let source = resume ? ["--resume"] : ["configs/cartpole_vtrace.yaml", "--seed", "1"]
            return try runProcess(try herd, ["train"] + source + ["--run-dir", run.url.path, "--set", "total_steps=\(steps)",
                                  "--set", "logging.interval_steps=10000", "--set", "evaluation.interval_steps=0",
                                  "--set", "checkpoint.interval_steps=1000000"], currentDirectory: repositoryRoot)
        }
        let first = try train(80_000)
        XCTAssertEqual(first.status, 0, first.stderr)
        let records = try metrics("vt")
        XCTAssertGreaterThanOrEqual(records.count, 7)
        let early = records[0]["episode_return_mean"]!, late = records.last!["episode_return_mean"]!
        XCTAssertGreaterThan(late, 2 * early, "mean return \(early) → \(late)")
        for key in ["policy_loss", "value_loss", "entropy", "mean_rho", "policy_lag_mean", "policy_lag_max",
                    "inference_batch_mean", "inference_latency_p99_ms", "unrolls_discarded", "learner_steps_per_second"] {
            XCTAssertNotNil(records.last?[key], "metrics.jsonl lacks \(key)")
        }
        // Inference runs ahead of the learner by a bounded number of versions.
        let lag = records.last!["policy_lag_max"]!
        XCTAssertGreaterThanOrEqual(lag, 0)
        XCTAssertLessThan(lag, 100)
        let events = try EventFileReader.read(run.eventFiles[0])
        XCTAssertNotNil(events.last { !$0.scalars.isEmpty }?.scalars["vtrace/policy_lag_mean"])
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.summary)) as? [String: Any]
        XCTAssertEqual(summary?["agent"] as? String, "vtrace")
        XCTAssertGreaterThan((summary?["inference_batches"] as? Double) ?? 0, 0)
        let steps = try XCTUnwrap(summary?["steps"] as? Int)
        XCTAssertGreaterThanOrEqual(steps, 80_000)

        // The checkpoint evaluates like a PPO one, and a resumed run counts on from it.
        let eval = try runProcess(try herd, ["eval", run.url.path, "--episodes", "3", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let resumed = try train(120_000, resume: true)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("at step \(steps)"), resumed.stderr)
        let after = try JSONSerialization.jsonObject(with: Data(contentsOf: run.summary)) as? [String: Any]
        XCTAssertGreaterThanOrEqual((after?["steps"] as? Int) ?? 0, 120_000)
        XCTAssertGreaterThan((after?["updates"] as? Int) ?? 0, (summary?["updates"] as? Int) ?? .max)
    }

    /// R2D2 smoke run: MemoryChain with 2 blank steps is solved only by
    /// remembering the cue; then a resume continues the counters and refills replay.
    func testR2D2SmokeRun_memoryChainLength2_solves_logsReplay_andResumes() throws {
        let run = RunDirectory(url: scratch.appendingPathComponent("r2"))
        func train(_ steps: Int, resume: Bool = false) throws -> ProcessResult {
            let source = resume ? ["--resume"] : ["configs/memorychain_r2d2.yaml", "--seed", "2"]
            return try runProcess(try herd, ["train"] + source + ["--run-dir", run.url.path, "--set", "total_steps=\(steps)",
                                  "--set", "environment.settings={length: 2}", "--set", "r2d2.sequence_length=8",
                                  "--set", "r2d2.burn_in=2", "--set", "logging.interval_steps=5000",
                                  "--set", "evaluation.interval_steps=5000", "--set", "checkpoint.interval_steps=1000000"],
                                  currentDirectory: repositoryRoot)
        }
        let first = try train(40_000)
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.summary)) as? [String: Any]
        XCTAssertEqual(summary?["agent"] as? String, "r2d2")
        XCTAssertNotNil(summary?["solved_at_step"] as? Int, "MemoryChain(2) not solved in 40k steps: \(first.stdout)")
        XCTAssertGreaterThanOrEqual(summary?["evaluation_return_best"] as? Double ?? 0, 0.8)
        XCTAssertGreaterThan(summary?["replay_size"] as? Double ?? 0, 100)
        let records = try metrics("r2")
        for key in ["replay_size", "replay_priority_mean", "sequence_age_mean", "learner_steps_per_second", "td_error_mean", "q_mean"] {
            XCTAssertNotNil(records.last?[key], "metrics.jsonl lacks \(key)")
        }
        let eval = try runProcess(try herd, ["eval", run.url.path, "--episodes", "20", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let evaluated = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Double]
        XCTAssertEqual(evaluated?["episodes"], 20)
        XCTAssertEqual(evaluated?["mean_length"], 4, "MemoryChain(2) episodes are 4 steps")
        let steps = try XCTUnwrap(summary?["steps"] as? Int)
        let resumed = try train(60_000, resume: true)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("at step \(steps); refilling replay"), resumed.stderr)
        let after = try JSONSerialization.jsonObject(with: Data(contentsOf: run.summary)) as? [String: Any]
        XCTAssertGreaterThanOrEqual(after?["steps"] as? Int ?? 0, 60_000)
        XCTAssertGreaterThan(after?["updates"] as? Int ?? 0, summary?["updates"] as? Int ?? .max)
    }

    /// SAC end to end on small networks: the lockstep source feeds its
    /// replay, its metrics reach metrics.jsonl, `herd eval` acts with its
    /// actor, and a resume restores the networks, optimisers and α.
    func testSACSmokeRun_pendulum_logsItsMetrics_evaluates_andResumes() throws {
        let run = RunDirectory(url: scratch.appendingPathComponent("sac"))
        func train(_ steps: Int, resume: Bool = false, extra: [String] = []) throws -> ProcessResult {
            let source = resume ? ["--resume"] : ["configs/pendulum_sac.yaml"]
            return try runProcess(try herd, ["train"] + source + ["--run-dir", run.url.path, "--set", "total_steps=\(steps)",
                                  "--set", "sac.hidden_sizes=[32, 32]", "--set", "sac.batch_size=64", "--set", "logging.interval_steps=500",
                                  "--set", "evaluation.interval_steps=1000", "--set", "evaluation.episodes=4"] + extra,
                                  currentDirectory: repositoryRoot)
        }
        let first = try train(2_000)
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.summary)) as? [String: Any]
        XCTAssertEqual(summary?["agent"] as? String, "sac")
        XCTAssertEqual(summary?["updates"] as? Int, 2_000 - 99, "one update per step from learning_starts on")
        XCTAssertEqual(summary?["replay_size"] as? Double, 2_000)
        let records = try metrics("sac")
        for key in ["critic_loss", "actor_loss", "alpha", "entropy", "q_mean", "replay_size", "eval_return_mean"] {
            XCTAssertNotNil(records.last?[key], "metrics.jsonl lacks \(key)")
        }
        XCTAssertLessThan(records.last?["alpha"] ?? 1, 1, "α is learned down from 1")
        let eval = try runProcess(try herd, ["eval", run.url.path, "--episodes", "3", "--deterministic", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let evaluated = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Double]
        XCTAssertEqual(evaluated?["mean_length"], 200, "Pendulum episodes are 200 steps")
        let resumed = try train(2_550, resume: true, extra: ["--set", "sac.train_freq=100"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("at step 2000; refilling replay"), resumed.stderr)
        // The last 50 steps made no update (train_freq 100): the end of the run is still evaluated and logged.
        let last = try XCTUnwrap(try metrics("sac").last)
        XCTAssertEqual(last["step"], 2_550)
        XCTAssertNotNil(last["eval_return_mean"])
        let after = try JSONSerialization.jsonObject(with: Data(contentsOf: run.summary)) as? [String: Any]
        XCTAssertEqual(after?["steps"] as? Int, 2_550)
        XCTAssertGreaterThan(after?["updates"] as? Int ?? 0, 2_000 - 99)
    }
    /// A Gymnasium environment whose `step` raises: the Python worker
    /// reports it (error 4), so does each replacement two steps later, and
    /// after three such failures close together the run stops with the environment's words — after writing a
    /// checkpoint and `summary.json` (it used to loop, or die without them).
    func testBrokenEnvironment_stopsTheRunWithItsMessage_afterACheckpoint() throws {
        _ = try pythonWith(["gymnasium", "numpy", "zmq"])
        let runURL = scratch.appendingPathComponent("broken")
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = repositoryRoot.appendingPathComponent("Tests/PythonEnvs").path
        let result = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", runURL.path,
                                               "--set", "environment.name=gymnasium:herd_test_envs:HerdTest/Raises-v0",
                                               "--set", "environment.envs_per_worker=2", "--set", "evaluation.interval_steps=0",
                                               "--set", "evaluation.target_return=null"],
                                    environment: environment, currentDirectory: repositoryRoot)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("the environment's step() raised RuntimeError: the simulator lost its state"), result.stderr)
        XCTAssertTrue(result.stderr.contains("failure 3 of this worker place"), result.stderr)
        let summary = try String(contentsOf: runURL.appendingPathComponent("summary.json"), encoding: .utf8)
        XCTAssertTrue(summary.contains("\"stopped_by_error\": \"") && summary.contains("simulator lost its state"), summary)
        XCTAssertEqual(CheckpointStore(directory: runURL.appendingPathComponent("checkpoints"), keep: 3).list().count, 1)
    }
}
