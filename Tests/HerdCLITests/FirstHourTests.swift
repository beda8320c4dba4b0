import Foundation
import HerdTensor
import HerdTestSupport
import HerdTraining
import XCTest

/// What a new user hits in the first hour (issue 23): `herd` from anywhere
/// on PATH, runs that never mix, every stop leaving a checkpoint, ports
/// that are ports.
final class FirstHourTests: XCTestCase {
    var scratch: URL!
    var herd: String { get throws { try herdExecutable() } }

    override func setUpWithError() throws { scratch = try temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    /// `scripts/install.sh` puts `herd` in PREFIX/bin and what it needs in
    /// PREFIX/share/herd; that copy, called as plain `herd` from another
    /// directory with none of the HERD_* variables set, trains (a shipped
    /// config by name, a simulated device, a Gymnasium environment through
    /// its worker script), evaluates, plots and serves a fleet. It used to
    /// look for `<cwd>/herd`, and for envs/ only in the source tree.
    func testInstalledCopyOnPath_trainsEvaluatesPlotsAndServesFleetsFromAnotherDirectory() throws {
        let prefix = scratch.appendingPathComponent("prefix"), work = scratch.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let install = try runProcess("/bin/bash", ["scripts/install.sh", "--prefix", prefix.path, "--binary", try herd],
                                     currentDirectory: repositoryRoot)
        XCTAssertEqual(install.status, 0, install.stderr)
        for file in ["bin/herd", "share/herd/envs/gymnasium_worker.py", "share/herd/configs/cartpole_ppo.yaml",
                     "share/herd/configs/devices/tpu-v1.yaml"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(file).path), file)
        }
        let path = prefix.appendingPathComponent("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let clean = ["-u", "HERD_EXECUTABLE", "-u", "HERD_ENVS_DIR", "-u", "HERD_DEVICES_DIR", "PATH=\(path)"]
        func installed(_ arguments: [String]) throws -> ProcessResult {
            try runProcess("/usr/bin/env", clean + ["herd"] + arguments, currentDirectory: work)
        }
        let short = ["--set", "total_steps=2048", "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=1024"]

        let trained = try installed(["train", "cartpole_ppo", "--run-dir", "run"] + short)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("run/summary.json").path), trained.stderr)
        let device = try installed(["train", "configs/cartpole_ppo.yaml", "--device", "tpu-v1", "--run-dir", "on-device"] + short)
        XCTAssertEqual(device.status, 0, device.stderr)
        let evaluated = try installed(["eval", "run", "--episodes", "3"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let plotted = try installed(["plot", "run", "--out", "run.svg"])
        XCTAssertEqual(plotted.status, 0, plotted.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("run.svg").path), plotted.stderr)

        // A fleet: a daemon of the installed copy serves a learner of it.
        let endpoint = "tcp://127.0.0.1:\(freeTCPPort())"
        let actor = try BackgroundProcess("/bin/sh", ["-c", "cd '\(work.path)' && exec /usr/bin/env \(clean.joined(separator: " ")) herd actor --learner \(endpoint) --workers 1 --capacity 16"],
                                          log: scratch.appendingPathComponent("actor.log"))
        defer { actor.process.terminate() }
        let served = try installed(["train", "cartpole_vtrace", "--run-dir", "fleet", "--listen", endpoint, "--set", "fleet.local_workers=0",
                                    "--set", "total_steps=20000", "--set", "evaluation.interval_steps=0"])
        XCTAssertEqual(served.status, 0, served.stderr + actor.output)
        XCTAssertTrue(served.stderr.contains("joined as worker") || served.stdout.contains("joined as worker"), served.stderr)

        // The Gymnasium bridge's worker script is found under the prefix.
        _ = try pythonWith(["gymnasium", "zmq", "numpy"])
        let bridged = try installed(["train", "cartpole_ppo", "--run-dir", "bridge", "--set", "environment.name=gymnasium:CartPole-v1"] + short)
        XCTAssertEqual(bridged.status, 0, bridged.stderr)
    }

    /// A run directory that already holds a run is refused without
    /// --resume, and nothing in it changes.
    func testExistingRunDirectory_isRefusedWithoutResume() throws {
        let run = scratch.appendingPathComponent("run")
        let arguments = ["train", "configs/cartpole_ppo.yaml", "--run-dir", run.path, "--set", "total_steps=1024",
                         "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=512"]
        XCTAssertEqual(try runProcess(try herd, arguments, currentDirectory: repositoryRoot).status, 0)
        let metrics = try Data(contentsOf: run.appendingPathComponent("metrics.jsonl"))
        let again = try runProcess(try herd, arguments, currentDirectory: repositoryRoot)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already holds a run; continue it with --resume"), again.stderr)
        XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("metrics.jsonl")), metrics, "the old run is untouched")
        // Two fresh default directories in the same second do not collide.
        let root = scratch.appendingPathComponent("runs")
        let first = RunDirectory.fresh(name: "x", root: root, now: Date(timeIntervalSince1970: 0))
        try FileManager.default.createDirectory(at: first.url, withIntermediateDirectories: true)
        XCTAssertNotEqual(RunDirectory.fresh(name: "x", root: root, now: Date(timeIntervalSince1970: 0)).url, first.url)
    }

    /// A stop often arrives as two signals at once: SIGTERM to the process
    /// and then its group (GNU timeout, Slurm, Kubernetes), or Ctrl-C to the
    /// foreground group beside a scheduler's SIGTERM. They are one request
    /// to stop, which writes the final checkpoint and summary (it used to
    /// exit 130 with neither). SIGTERM then SIGINT: two different signals
    /// are never merged by the kernel, so both are delivered.
    func testTwoSignalsAtOnce_areOneStop_withACheckpointAndSummary() throws {
        let run = scratch.appendingPathComponent("run")
        let learner = try BackgroundProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", run.path, "--set", "total_steps=100000000",
                                                       "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=1024"],
                                            log: scratch.appendingPathComponent("learner.log"))
        XCTAssertTrue(eventually(30) { ((try? MetricsLog.read(run.appendingPathComponent("metrics.jsonl")))?.count ?? 0) >= 1 }, learner.output)
        kill(learner.pid, SIGTERM)
        kill(learner.pid, SIGINT)
        guard learner.waitForExit(60) else {
            kill(learner.pid, SIGKILL)
            return XCTFail("the learner did not stop:\n\(learner.output)")
        }
        XCTAssertEqual(learner.process.terminationStatus, 0, learner.output)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
        XCTAssertEqual(summary?["stopped_by_signal"] as? Bool, true)
        XCTAssertFalse(CheckpointStore(directory: run.appendingPathComponent("checkpoints"), keep: 10).list().isEmpty)
    }

    /// A scheduler's stop (Slurm's scancel, Kubernetes, a shell's job
    /// control) is SIGTERM to the whole process group at once: the learner
    /// and every worker it started. The learner still writes its final
    /// checkpoint and summary and exits 0; its workers' exits during the
    /// stop are not failures.
    func testSIGTERMToTheProcessGroup_isOneStop_withACheckpointAndSummary() throws {
        let run = scratch.appendingPathComponent("run")
        // Foundation starts the learner as the leader of a process group of its own, which its workers join.
        let learner = try BackgroundProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", run.path,
                                                       "--set", "total_steps=100000000", "--set", "environment.workers=2",
                                                       "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=1024"],
                                            log: scratch.appendingPathComponent("learner.log"))
        XCTAssertTrue(eventually(30) { ((try? MetricsLog.read(run.appendingPathComponent("metrics.jsonl")))?.count ?? 0) >= 1 }, learner.output)
        XCTAssertEqual(getpgid(learner.pid), learner.pid, "the learner leads its own group")
        let workers = learner.children
        XCTAssertEqual(workers.count, 2, "two workers")
        for worker in workers { XCTAssertEqual(getpgid(worker), learner.pid, "worker \(worker) is in the learner's group") }
        kill(-learner.pid, SIGTERM)
        guard learner.waitForExit(60) else {
            kill(-learner.pid, SIGKILL)
            return XCTFail("the learner did not stop:\n\(learner.output)")
        }
        XCTAssertEqual(learner.process.terminationStatus, 0, learner.output)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
        XCTAssertEqual(summary?["stopped_by_signal"] as? Bool, true)
        XCTAssertFalse(CheckpointStore(directory: run.appendingPathComponent("checkpoints"), keep: 10).list().isEmpty)
    }

    /// A port is 1...65535, from --listen and from the config (99999 used
    /// to bind 34463).
    func testListenPort_outOfRange_isRefused() throws {
        let flag = try runProcess(try herd, ["train", "configs/cartpole_vtrace.yaml", "--listen", "99999", "--run-dir", scratch.appendingPathComponent("a").path],
                                  currentDirectory: repositoryRoot)
        XCTAssertNotEqual(flag.status, 0)
        XCTAssertTrue(flag.stderr.contains("a port is in 1...65535"), flag.stderr)
        let config = repositoryRoot.appendingPathComponent("configs/cartpole_vtrace.yaml")
        XCTAssertThrowsError(try TrainConfig.load(config, overrides: ["fleet.listen=tcp://127.0.0.1:99999"])) { error in
            XCTAssertTrue("\(error)".contains("fleet.listen"), "\(error)")
        }
        XCTAssertEqual(try TrainConfig.load(config, overrides: ["fleet.listen=tcp://127.0.0.1:5555"]).fleet.listen, "tcp://127.0.0.1:5555")
    }

    /// Smaller first-hour items: a `--set` typo is the argument's error, not
    /// the file's; `herd eval` of a config says what it wants; a run whose
    /// workers cannot start prints no run directory (none is made).
    func testSetTypo_evalOfAConfig_andNoRunDirectoryForARunThatNeverStarted() throws {
        let typo = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--set", "ppo.learning_rat=3e-4",
                                             "--run-dir", scratch.appendingPathComponent("typo").path], currentDirectory: repositoryRoot)
        XCTAssertNotEqual(typo.status, 0)
        XCTAssertTrue(typo.stderr.contains("--set ppo.learning_rat=3e-4 (over "), typo.stderr)
        XCTAssertTrue(typo.stderr.contains("unknown key 'ppo.learning_rat'"), typo.stderr)

        let eval = try runProcess(try herd, ["eval", "configs/cartpole_ppo.yaml"], currentDirectory: repositoryRoot)
        XCTAssertNotEqual(eval.status, 0)
        XCTAssertTrue(eval.stderr.contains("this is a config; give a run directory"), eval.stderr)

        let run = scratch.appendingPathComponent("never")
        let broken = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", run.path,
                                               "--set", "environment.name=gymnasium:NoSuchEnvironment-v0"], currentDirectory: repositoryRoot)
        XCTAssertNotEqual(broken.status, 0)
        XCTAssertFalse(broken.stdout.contains("run directory:"), broken.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.path))
    }

    /// `--seeds 0-1`: one run per seed under the run directory, each with
    /// its seed, and the table across them in seeds.md and seeds.json.
    func testSeeds_oneRunPerSeed_andATableAcrossThem() throws {
        let parent = scratch.appendingPathComponent("seeds")
        let result = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--seeds", "0-1", "--run-dir", parent.path,
                                               "--set", "total_steps=4096", "--set", "evaluation.interval_steps=2048",
                                               "--set", "evaluation.episodes=5"], currentDirectory: repositoryRoot)
        XCTAssertEqual(result.status, 0, result.stderr)
        for seed in [0, 1] {
            let config = try TrainConfig.load(parent.appendingPathComponent("seed-\(seed)/config.yaml"))
            XCTAssertEqual(config.seed, seed)
        }
        let table = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: parent.appendingPathComponent("seeds.json"))) as? [String: Any])
        let rows = try XCTUnwrap(table["seeds"] as? [[String: Any]])
        XCTAssertEqual(rows.compactMap { $0["seed"] as? Int }, [0, 1])
        XCTAssertTrue(rows.allSatisfy { $0["best_evaluation"] as? Double != nil })
        let markdown = try String(contentsOf: parent.appendingPathComponent("seeds.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| best evaluation (2 seeds) |"), markdown)
        XCTAssertTrue(result.stdout.contains("| across seeds | mean | std | IQM | min | max |"), result.stdout)

        // `herd plot --group-by config` draws the two seeds as one mean with a band.
        let svg = scratch.appendingPathComponent("seeds.svg")
        let plot = try runProcess(try herd, ["plot", parent.appendingPathComponent("seed-0").path, parent.appendingPathComponent("seed-1").path,
                                             "--group-by", "config", "--log-x", "--out", svg.path])
        XCTAssertEqual(plot.status, 0, plot.stderr)
        let drawn = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertEqual(drawn.components(separatedBy: "<polyline").count - 1, 1, "one line for the two seeds")
        XCTAssertEqual(drawn.components(separatedBy: "<polygon").count - 1, 1, "and one band")
        XCTAssertTrue(drawn.contains(">cartpole_ppo (mean of 2, band: min–max)</text>"), drawn)
        XCTAssertTrue(drawn.contains("(log scale)"), drawn)

        // Two groups of one config name are told apart by the setting that differs.
        let other = scratch.appendingPathComponent("other-rate")
        let trained = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", other.path, "--set", "total_steps=4096",
                                                "--set", "ppo.learning_rate=0.002", "--set", "evaluation.interval_steps=2048",
                                                "--set", "evaluation.episodes=5"], currentDirectory: repositoryRoot)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let groups = try runProcess(try herd, ["plot", parent.appendingPathComponent("seed-0").path, parent.appendingPathComponent("seed-1").path,
                                               other.path, "--group-by", "config", "--out", svg.path])
        XCTAssertEqual(groups.status, 0, groups.stderr)
        let named = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(named.contains(">cartpole_ppo ppo.learning_rate=0.0015 (mean of 2, band: min–max)</text>"), named)
        XCTAssertTrue(named.contains(">cartpole_ppo ppo.learning_rate=0.002</text>"), named)

        let both = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--seeds", "0-1", "--seed", "3"], currentDirectory: repositoryRoot)
        XCTAssertTrue(both.stderr.contains("--seeds and --seed"), both.stderr)
        let again = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--seeds", "1", "--run-dir", parent.path],
                                   currentDirectory: repositoryRoot)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already holds a run"), again.stderr)
    }

    /// `environment.python` names the Gymnasium workers' interpreter; one
    /// that does not exist, or lacks a package the worker imports, stops the
    /// run before any worker starts, with one sentence saying what to do.
    func testPythonSetting_isCheckedBeforeWorkersStart() throws {
        let arguments = ["train", "configs/cartpole_ppo.yaml", "--set", "environment.name=gymnasium:CartPole-v1",
                         "--set", "total_steps=1024", "--set", "evaluation.interval_steps=0"]
        let missing = try runProcess(try herd, arguments + ["--run-dir", scratch.appendingPathComponent("a").path,
                                                            "--set", "environment.python=/nonexistent/python3"], currentDirectory: repositoryRoot)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/python3: no such Python interpreter (environment.python"), missing.stderr)

        // An interpreter whose imports find no Gymnasium, pyzmq or numpy: Python without site-packages (-S).
        _ = try pythonWith(["numpy"])
        let real = try XCTUnwrap(PoolConfigurationProbe.which("python3"))
        let bare = scratch.appendingPathComponent("bare-python")
        try "#!/bin/sh\nexec \(real) -S \"$@\"\n".write(to: bare, atomically: true, encoding: .utf8)
        chmod(bare.path, 0o755)
        let lacking = try runProcess(try herd, arguments + ["--run-dir", scratch.appendingPathComponent("b").path,
                                                            "--set", "environment.python=\(bare.path)"], currentDirectory: repositoryRoot)
        XCTAssertNotEqual(lacking.status, 0)
        XCTAssertTrue(lacking.stderr.contains("it cannot import gymnasium, zmq, numpy, which the Gymnasium worker needs"), lacking.stderr)
        XCTAssertTrue(lacking.stderr.contains("-m pip install gymnasium pyzmq numpy"), lacking.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("b").path), "no run directory for a run that never started")
    }
    /// Every Gymnasium classic-control and toy-text environment trains
    /// through the bridge (Blackjack's Tuple flattened, the toy texts'
    /// Discrete one-hot, Box actions as Box): a short run of each ends with
    /// status 0 and a summary. `timeout` bounds a hang (it used to loop on
    /// Blackjack forever), so a hang fails instead of stalling the suite.
    func testEveryClassicControlAndToyTextEnvironment_trainsThroughTheBridge() throws {
        let python = try pythonWith(["gymnasium", "zmq", "numpy"])
        let listing = try runPython(python, """
            import gymnasium as gym
            for name, spec in gym.envs.registry.items():
                entry = spec.entry_point if isinstance(spec.entry_point, str) else ""
                if "classic_control" in entry or "toy_text" in entry: print(name)
            """, [])
        XCTAssertEqual(listing.status, 0, listing.stderr)
        let names = listing.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(names.contains("Blackjack-v1") && names.contains("CartPole-v1"), "\(names)")
        for name in names {
            let run = scratch.appendingPathComponent(name.replacingOccurrences(of: "/", with: "_"))
            let result = try runProcess("/usr/bin/timeout", ["120", try herd, "train", "configs/cartpole_ppo.yaml", "--run-dir", run.path,
                                                             "--set", "environment.name=gymnasium:\(name)", "--set", "environment.envs_per_worker=4",
                                                             "--set", "total_steps=256", "--set", "ppo.steps_per_env=16",
                                                             "--set", "evaluation.interval_steps=0"],
                                        currentDirectory: repositoryRoot)
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("summary.json").path), name)
        }
    }

    /// A Gymnasium image laid out height × width × channels reaches the
    /// conv torso channels first, converted once by the bridge: MinAtar's
    /// torso trains on HerdTest/Spaces-v0's 6×5×3 image, which it reads as
    /// [3, 6, 5] (it used to read 6 channels of 5×3).
    func testHeightWidthChannelsImages_reachTheConvTorsoChannelsFirst() throws {
        _ = try pythonWith(["gymnasium", "zmq", "numpy"])
        let run = scratch.appendingPathComponent("hwc")
        let result = try runProcess(try herd, ["train", "configs/minatar_breakout_ppo.yaml", "--run-dir", run.path,
                                               "--set", "environment.name=gymnasium:herd_test_envs:HerdTest/Spaces-v0",
                                               "--set", "environment.settings={kind: hwc}", "--set", "environment.workers=1",
                                               "--set", "environment.envs_per_worker=4", "--set", "total_steps=512",
                                               "--set", "evaluation.interval_steps=0"],
                                    environment: ["PYTHONPATH": repositoryRoot.appendingPathComponent("Tests/PythonEnvs").path],
                                    currentDirectory: repositoryRoot)
        XCTAssertEqual(result.status, 0, result.stderr)
        let checkpoint = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path)
            .first { $0.hasPrefix("step") })
        let tensors = try SafetensorsFile.read(from: run.appendingPathComponent("checkpoints/\(checkpoint)"))
        let conv = try XCTUnwrap(tensors.tensors.first { $0.tensor.shape.count == 4 }, "\(tensors.tensors.map(\.name))")
        XCTAssertEqual(conv.tensor.shape, [16, 3, 3, 3], "16 filters over 3 channels of 3×3: the image was read channels first")
    }

    /// A Discrete observation crosses the bridge one-hot (SB3's encoding), so
    /// FrozenLake can be learned: PPO with CartPole's settings solves the
    /// non-slippery map (evaluation mean ≥ 0.9) within 50k steps. As a bare
    /// index (`herd_discrete_observation: index`) it is not learned.
    func testDiscreteObservations_areOneHot_frozenLakeIsLearned() throws {
        _ = try pythonWith(["gymnasium", "zmq", "numpy"])
        func train(_ name: String, _ settings: String) throws -> [String: Any] {
            let run = scratch.appendingPathComponent(name)
            let result = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", run.path,
                                                   "--set", "environment.name=gymnasium:FrozenLake-v1", "--set", "environment.settings=\(settings)",
                                                   "--set", "total_steps=50000", "--set", "evaluation.interval_steps=10000",
                                                   "--set", "evaluation.target_return=0.9"], currentDirectory: repositoryRoot)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any])
        }
        let oneHot = try train("one-hot", "{is_slippery: false}")
        XCTAssertNotNil(oneHot["solved_at_step"] as? Int, "\(oneHot)")
        XCTAssertLessThanOrEqual(oneHot["solved_at_step"] as? Int ?? .max, 50_176)
        let index = try train("index", "{is_slippery: false, herd_discrete_observation: index}")
        XCTAssertLessThan(index["evaluation_return_best"] as? Double ?? 1, 0.9, "the bare index is the control: not learned")
    }
}

/// `python3` on PATH, as a path.
enum PoolConfigurationProbe {
    static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
