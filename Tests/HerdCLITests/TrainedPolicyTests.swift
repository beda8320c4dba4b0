import Foundation
import HerdTensor
import HerdTestSupport
import HerdTraining
import XCTest

/// Getting a trained policy out, as a user does: the best checkpoint and
/// `--checkpoint`, `herd eval` of a `gymnasium:` run through worker
/// processes, and videos read back by real decoders (Pillow, ffprobe).
final class TrainedPolicyTests: XCTestCase {
    var herd: String { get throws { try herdExecutable() } }
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("herd-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func run(_ name: String) -> URL { scratch.appendingPathComponent(name) }

    /// CartPole PPO evaluated every 2,048 steps on 10 episodes, checkpointed every 4,096 (the newest 3 kept).
    func train(_ name: String, steps: Int, extra: [String] = []) throws -> ProcessResult {
        try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", run(name).path, "--seed", "5",
                                  "--set", "total_steps=\(steps)", "--set", "logging.interval_steps=2048",
                                  "--set", "evaluation.interval_steps=2048", "--set", "evaluation.episodes=10",
                                  "--set", "checkpoint.interval_steps=4096"] + extra,
                       currentDirectory: repositoryRoot)
    }

    func summary(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: RunDirectory(url: run(name)).summary)) as? [String: Any])
    }

    func counters(_ url: URL) throws -> TrainingCounters {
        let file = try SafetensorsFile.read(from: url)
        return try JSONDecoder().decode(TrainingCounters.self, from: Data(try XCTUnwrap(file.metadata["herd.counters"]).utf8))
    }

    /// The best evaluation in `metrics.jsonl` (the first of equals) and its step.
    func bestInMetrics(_ name: String) throws -> (value: Double, step: Int) {
        let lines = try MetricsLog.read(RunDirectory(url: run(name)).metrics).filter { $0["eval_return_mean"] != nil }
        XCTAssertFalse(lines.isEmpty)
        let best = lines.reduce(lines[0]) { $1["eval_return_mean"]! > $0["eval_return_mean"]! ? $1 : $0 }
        return (best["eval_return_mean"]!, Int(best["step"]!))
    }

    func testBestCheckpoint_followsTheBestEvaluation_acrossResumes() throws {
        let first = try train("r", steps: 12288)
        XCTAssertEqual(first.status, 0, first.stderr)
        let store = CheckpointStore(directory: RunDirectory(url: run("r")).checkpoints, keep: 3)
        var best = try bestInMetrics("r")
        var s = try summary("r")
        XCTAssertEqual(s["evaluation_return_best"] as? Double, best.value)
        XCTAssertEqual(s["evaluation_best_step"] as? Int, best.step)
        XCTAssertEqual(s["best_checkpoint"] as? String, store.bestURL.path)
        XCTAssertEqual(try counters(store.bestURL).steps, best.step, "best.safetensors holds the policy of the best evaluation")
        XCTAssertFalse(store.list().contains { $0.url == store.bestURL }, "the best checkpoint is not one of the rotated ones")
        XCTAssertTrue(first.stdout.contains("checkpoints/best.safetensors"), first.stdout)

        // herd eval takes it by name; the latest is the default.
        let evalBest = try runProcess(try herd, ["eval", run("r").path, "--checkpoint", "best", "--episodes", "3"])
        XCTAssertEqual(evalBest.status, 0, evalBest.stderr)
        XCTAssertTrue(evalBest.stdout.contains("best.safetensors (step \(best.step))"), evalBest.stdout)
        let evalLatest = try runProcess(try herd, ["eval", run("r").path, "--episodes", "3"])
        XCTAssertTrue(evalLatest.stdout.contains("step-000000012288.safetensors"), evalLatest.stdout)

        // Resuming from an older checkpoint keeps the best found after it: a
        // new evaluation replaces it only by beating it.
        let bestBytes = try Data(contentsOf: store.bestURL)
        let older = try XCTUnwrap(store.list().first { $0.step == 4096 }).url
        let resumed = try runProcess(try herd, ["train", "--resume", "--run-dir", run("r").path, "--checkpoint", older.path,
                                                "--set", "total_steps=8192"], currentDirectory: repositoryRoot)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed from \(older.path) at step 4096"), resumed.stderr)
        // The abandoned continuation's checkpoints are set aside, not mixed in or rotated over the new ones.
        XCTAssertEqual(store.list().map(\.step), [4096, 8192])
        let aside = try FileManager.default.contentsOfDirectory(atPath: store.directory.appendingPathComponent("abandoned").path).sorted()
        XCTAssertEqual(aside, ["step-000000008192.safetensors", "step-000000012288.safetensors"])
        XCTAssertEqual(try counters(store.list().last!.url).steps, 8192)
        XCTAssertTrue(try runProcess(try herd, ["eval", run("r").path, "--episodes", "1"]).stdout.contains("step-000000008192"))
        s = try summary("r")
        let afterResume = try XCTUnwrap(s["evaluation_return_best"] as? Double)
        XCTAssertGreaterThanOrEqual(afterResume, best.value)
        if afterResume == best.value {
            XCTAssertEqual(try Data(contentsOf: store.bestURL), bestBytes, "an evaluation that does not beat the best leaves it alone")
            XCTAssertEqual(s["evaluation_best_step"] as? Int, best.step)
        } else {
            best = try bestInMetrics("r")
            XCTAssertEqual(try counters(store.bestURL).steps, best.step)
        }

        // --resume --checkpoint best continues from the best policy's step.
        let fromBest = try runProcess(try herd, ["train", "--resume", "--run-dir", run("r").path, "--checkpoint", "best",
                                                 "--set", "total_steps=\(best.step + 2048)"], currentDirectory: repositoryRoot)
        XCTAssertEqual(fromBest.status, 0, fromBest.stderr)
        XCTAssertTrue(fromBest.stderr.contains("resumed from \(store.bestURL.path) at step \(try counters(store.bestURL).steps)"),
                      fromBest.stderr)
    }

    func testCheckpointChoice_errors() throws {
        XCTAssertEqual(try train("none", steps: 2048, extra: ["--set", "evaluation.interval_steps=0"]).status, 0)
        let noBest = try runProcess(try herd, ["eval", run("none").path, "--checkpoint", "best"])
        XCTAssertNotEqual(noBest.status, 0)
        XCTAssertTrue(noBest.stderr.contains("no best.safetensors"), noBest.stderr)
        let alone = try runProcess(try herd, ["train", "configs/cartpole_ppo.yaml", "--checkpoint", "best"], currentDirectory: repositoryRoot)
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.stderr.contains("--checkpoint goes with --resume"), alone.stderr)
    }

    // MARK: Videos

    /// `(frames, width, height)` of a GIF as Pillow decodes it.
    func pillowFrames(_ url: URL) throws -> [Int] {
        let python = try pythonWith(["PIL"])
        let read = try runPython(python, "import sys; from PIL import Image; im = Image.open(sys.argv[1]); print(im.n_frames, *im.size)", [url.path])
        XCTAssertEqual(read.status, 0, read.stderr)
        return read.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    }

    func evaluation(_ result: ProcessResult) throws -> [String: Double] {
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("{") })
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double])
    }

    func testRecord_gifAndMp4_readBackByRealDecoders() throws {
        XCTAssertEqual(try train("v", steps: 2048, extra: ["--set", "evaluation.interval_steps=0"]).status, 0)
        // One frame per step: each episode's first picture to its last action's.
        let gif = scratch.appendingPathComponent("cartpole.gif")
        let played = try evaluation(try runProcess(try herd, ["eval", run("v").path, "--episodes", "2", "--record", gif.path, "--json"]))
        let steps = Int(try XCTUnwrap(played["mean_length"]) * 2)
        XCTAssertEqual(try pillowFrames(gif), [steps, 600, 400])

        let mp4 = scratch.appendingPathComponent("cartpole.mp4")
        let ffprobe = try runProcess("/usr/bin/env", ["sh", "-c", "command -v ffprobe"])
        guard ffprobe.status == 0 else {
            throw XCTSkip("SKIPPED: ffprobe (Debian's ffmpeg package) is not installed; `.ci/run` installs it")
        }
        let again = try evaluation(try runProcess(try herd, ["eval", run("v").path, "--episodes", "2", "--record", mp4.path, "--json"]))
        XCTAssertEqual(again["mean_length"], played["mean_length"], "the same seed plays the same episodes")
        let probe = try runProcess("/usr/bin/env", ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                                                    "-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0", mp4.path])
        XCTAssertEqual(probe.status, 0, probe.stderr)
        XCTAssertEqual(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "600,400,\(steps)")

        // Without ffmpeg, .mp4 is refused up front with the package to install.
        let missing = try runProcess(try herd, ["eval", run("v").path, "--episodes", "1", "--record", mp4.path],
                                     environment: ["PATH": "/nonexistent", "HOME": NSHomeDirectory()])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("apt-get install ffmpeg"), missing.stderr)
        let unknown = try runProcess(try herd, ["eval", run("v").path, "--record", scratch.appendingPathComponent("x.avi").path])
        XCTAssertTrue(unknown.stderr.contains("a video is .gif or .mp4"), unknown.stderr)
    }

    // MARK: Gymnasium runs

    func testGymnasiumRun_isEvaluatedThroughWorkers_andRecordedOverTheBridge() throws {
        _ = try pythonWith(["gymnasium", "zmq", "numpy", "pygame", "PIL"])
        let trained = try train("g", steps: 4096, extra: ["--set", "environment.name=gymnasium:CartPole-v1",
                                                          "--set", "evaluation.episodes=4"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let s = try summary("g")
        XCTAssertNotNil(s["evaluation_return_last"] as? Double, "evaluations during training ran through worker processes")
        XCTAssertNotNil(s["evaluation_best_step"] as? Int)

        let evaluated = try evaluation(try runProcess(try herd, ["eval", run("g").path, "--episodes", "3", "--json"]))
        XCTAssertEqual(evaluated["episodes"], 3)
        // The same seed gives the same episodes: Gymnasium seeded from (seed, i) by the worker.
        let again = try evaluation(try runProcess(try herd, ["eval", run("g").path, "--episodes", "3", "--json"]))
        XCTAssertEqual(again["mean_return"], evaluated["mean_return"])

        let gif = scratch.appendingPathComponent("gymnasium.gif")
        let recorded = try evaluation(try runProcess(try herd, ["eval", run("g").path, "--episodes", "2", "--record", gif.path, "--json"]))
        XCTAssertEqual(try pillowFrames(gif), [Int(try XCTUnwrap(recorded["mean_length"]) * 2), 600, 400],
                       "Gymnasium's own rgb_array frames, one per step")
    }
}
