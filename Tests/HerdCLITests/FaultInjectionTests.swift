import Foundation
import HerdTensor
import HerdTestSupport
import HerdTraining
import XCTest

/// Faults injected into real training runs: worker processes killed or
/// stopped mid-run, the learner killed while it writes a checkpoint, a
/// damaged checkpoint, the learner restarted under waiting daemons. Each
/// case states what must hold afterwards and checks it. The long mix of
/// these (for minutes, with memory and stall checks) is `benchmarks/soak.sh`.
final class FaultInjectionTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws { scratch = try temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func steps(_ run: URL) -> Int {
        Int(((try? MetricsLog.read(run.appendingPathComponent("metrics.jsonl"))) ?? []).last?["step"] ?? 0)
    }

    func summary(_ run: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any])
    }

    /// kill -9 of one worker and SIGSTOP of another, during synchronous
    /// (PPO) and asynchronous (V-trace) training. Must hold: both are
    /// replaced, training goes on past the faults, the run ends cleanly on
    /// SIGINT and its summary counts the replacements.
    func testWorkersKilledAndStopped_duringSyncAndAsyncTraining_areReplaced() throws {
        let herd = try herdExecutable()
        for config in ["configs/cartpole_ppo.yaml", "configs/cartpole_vtrace.yaml"] {
            let run = scratch.appendingPathComponent(URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent)
            let learner = try BackgroundProcess(herd, [
                "train", config, "--run-dir", run.path, "--set", "total_steps=100000000", "--set", "environment.workers=2",
                "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=4096"], log: scratch.appendingPathComponent("\(run.lastPathComponent).log"))
            XCTAssertTrue(eventually(30) { self.steps(run) > 0 && learner.children.count == 2 }, learner.output)
            let workers = learner.children
            guard workers.count == 2 else { return XCTFail("expected 2 workers, found \(workers):\n\(learner.output)") }
            // Both faults at once: the killed worker may have answered the step
            // the stopped one never will (that case used to hang a synchronous
            // run; ProcessPoolTests pins it down).
            kill(workers[1], SIGSTOP)
            kill(workers[0], SIGKILL)
            defer { kill(workers[1], SIGKILL) }
            XCTAssertTrue(eventually(10) { learner.output.components(separatedBy: "replaced by worker").count - 1 >= 2 }, learner.output)
            let after = steps(run)
            XCTAssertTrue(eventually(20) { self.steps(run) > after + 20_000 }, "\(config): training did not go on:\n\(learner.output)")
            XCTAssertEqual(Set(learner.children).intersection(workers), [], "both faulty workers are gone")
            learner.process.interrupt()
            guard learner.waitForExit(20) else { return XCTFail("\(config): the learner did not stop on SIGINT:\n\(learner.output)") }
            XCTAssertEqual(learner.process.terminationStatus, 0, learner.output)
            XCTAssertGreaterThanOrEqual(try summary(run)["workers_replaced"] as? Double ?? 0, 2, config)
        }
    }

    /// kill -9 of workers during V-trace on Catch, where every episode is
    /// exactly 9 steps. Must hold: no logged interval has a mean episode
    /// length other than 9 — an interrupted episode is dropped, not merged
    /// into the next one (it was: 9.02–9.16 in the interval of each kill).
    func testWorkersKilled_duringVTraceOnCatch_episodesAreNeverMerged() throws {
        let herd = try herdExecutable()
        let run = scratch.appendingPathComponent("catch")
        let learner = try BackgroundProcess(herd, [
            "train", "configs/catch_vtrace.yaml", "--run-dir", run.path, "--set", "total_steps=100000000", "--set", "environment.workers=2",
            "--set", "environment.envs_per_worker=8", "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=2000"],
                                            log: scratch.appendingPathComponent("catch.log"))
        defer { if !learner.waitForExit(0) { kill(learner.pid, SIGKILL) } }
        for kills in 1...3 {
            XCTAssertTrue(eventually(30) { self.steps(run) > 0 && learner.children.count == 2 }, learner.output)
            let before = steps(run)
            guard let worker = learner.children.first else { return XCTFail("no worker:\n\(learner.output)") }
            kill(worker, SIGKILL)
            XCTAssertTrue(eventually(10) { learner.output.components(separatedBy: "replaced by worker").count - 1 >= kills }, learner.output)
            XCTAssertTrue(eventually(20) { self.steps(run) > before + 20_000 }, "training did not go on:\n\(learner.output)")
        }
        learner.process.interrupt()
        guard learner.waitForExit(20) else { return XCTFail("the learner did not stop on SIGINT:\n\(learner.output)") }
        let records = try MetricsLog.read(run.appendingPathComponent("metrics.jsonl"))
        let lengths = records.compactMap { $0["episode_length_mean"] }.filter(\.isFinite)
        XCTAssertGreaterThan(lengths.count, 10)
        XCTAssertEqual(lengths.filter { abs($0 - 9) > 1e-9 }, [], "episodes other than 9 steps long were logged")
        XCTAssertGreaterThanOrEqual(try summary(run)["workers_replaced"] as? Double ?? 0, 3)
    }

    /// kill -9 of the learner while a checkpoint is half written (held
    /// between its temporary file and the rename by the fault hook), then
    /// `--resume`. Must hold: the newest complete checkpoint is used, the
    /// unfinished temporary is removed, training continues to the new total.
    /// Then the newest checkpoint is truncated: resuming names it and uses
    /// the one before.
    func testLearnerKilledWhileWritingACheckpoint_resumesFromTheNewestComplete_andSkipsADamagedOne() throws {
        let herd = try herdExecutable()
        let run = scratch.appendingPathComponent("run")
        let checkpoints = CheckpointStore(directory: run.appendingPathComponent("checkpoints"), keep: 10)
        let learner = try BackgroundProcess(herd, [
            "train", "configs/cartpole_ppo.yaml", "--run-dir", run.path, "--set", "total_steps=100000000",
            "--set", "evaluation.interval_steps=0", "--set", "checkpoint.interval_steps=4096", "--set", "checkpoint.keep=10"],
                                            log: scratch.appendingPathComponent("learner.log"), environment: ["HERD_FAULT_PAUSE_BEFORE_RENAME": "2"])
        func temporaries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.directory.path)) ?? []).filter { $0.contains(".tmp-") }
        }
        XCTAssertTrue(eventually(30) { checkpoints.list().count >= 2 && !temporaries().isEmpty }, learner.output)
        kill(learner.pid, SIGKILL)
        XCTAssertTrue(learner.waitForExit(5))
        let complete = checkpoints.list()
        let newest = try XCTUnwrap(complete.last)
        XCTAssertEqual(temporaries().count, 1, "the write in progress was cut")

        let target = newest.step + 8192
        let resumed = try runProcess(herd, ["train", "--resume", "--run-dir", run.path, "--set", "total_steps=\(target)"],
                                     currentDirectory: repositoryRoot)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("an unfinished checkpoint write"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed from \(newest.url.path) at step \(newest.step)"), resumed.stderr)
        XCTAssertEqual(temporaries(), [])
        XCTAssertGreaterThanOrEqual(try summary(run)["steps"] as? Int ?? 0, target)

        // Truncate the newest checkpoint: the next resume names it and takes the previous one.
        let last = try XCTUnwrap(checkpoints.list().last), previous = checkpoints.list().dropLast().last!
        let bytes = try Data(contentsOf: last.url)
        try bytes.prefix(bytes.count / 2).write(to: last.url)
        let again = try runProcess(herd, ["train", "--resume", "--run-dir", run.path, "--set", "total_steps=\(last.step + 4096)"],
                                   currentDirectory: repositoryRoot)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("skipping damaged checkpoint \(last.url.path)"), again.stderr)
        XCTAssertTrue(again.stderr.contains("resumed from \(previous.url.path) at step \(previous.step)"), again.stderr)
    }

    /// The learner is killed (-9) under a waiting fleet and started again
    /// with `--resume` on the same endpoint. Must hold: the daemon stays up,
    /// its workers rejoin the new learner, and training goes on from the
    /// checkpoint.
    func testLearnerRestart_daemonsRejoin() throws {
        let herd = try herdExecutable()
        let endpoint = "tcp://127.0.0.1:\(freeTCPPort())"
        let run = scratch.appendingPathComponent("run")
        let arguments = ["train", "configs/cartpole_vtrace.yaml", "--listen", endpoint, "--run-dir", run.path,
                         "--set", "fleet.local_workers=0", "--set", "fleet.remote_timeout=1", "--set", "total_steps=100000000",
                         "--set", "evaluation.interval_steps=0", "--set", "logging.interval_steps=5000", "--set", "checkpoint.interval_steps=20000"]
        let first = try BackgroundProcess(herd, arguments, log: scratch.appendingPathComponent("learner1.log"))
        let daemon = try BackgroundProcess(herd, ["actor", "--learner", endpoint, "--workers", "2", "--capacity", "32", "--learner-timeout", "3"],
                                           log: scratch.appendingPathComponent("actor.log"))
        let checkpoints = CheckpointStore(directory: run.appendingPathComponent("checkpoints"), keep: 3)
        XCTAssertTrue(eventually(40) { !checkpoints.list().isEmpty }, "no checkpoint:\n\(first.output)\n\(daemon.output)")
        kill(first.pid, SIGKILL)
        XCTAssertTrue(first.waitForExit(5))
        let resumedAt = try XCTUnwrap(checkpoints.list().last).step

        let second = try BackgroundProcess(herd, arguments + ["--resume"], log: scratch.appendingPathComponent("learner2.log"))
        XCTAssertTrue(eventually(40) { second.output.components(separatedBy: "joined as worker").count - 1 >= 2 },
                      "the daemon's workers did not rejoin:\n\(second.output)\n\(daemon.output)")
        XCTAssertTrue(eventually(30) { self.steps(run) > resumedAt + 20_000 }, second.output)
        XCTAssertTrue(daemon.process.isRunning, "the daemon outlives its learner")
        second.process.interrupt()
        XCTAssertTrue(second.waitForExit(20), second.output)
        XCTAssertEqual(second.process.terminationStatus, 0, second.output)
        XCTAssertTrue(second.output.contains("resumed from"), second.output)
        daemon.process.interrupt()
        XCTAssertTrue(daemon.waitForExit(10), daemon.output)
    }

    /// A run whose every step is non-finite stops with the promised error
    /// after `max_consecutive_nonfinite` skips, keeping a checkpoint with
    /// finite parameters from before the first bad step, that resumes.
    func testNonFiniteSteps_stopTheRunWithACheckpointFromBefore() throws {
        let herd = try herdExecutable()
        let run = scratch.appendingPathComponent("run")
        let result = try runProcess(herd, ["train", "configs/cartpole_vtrace.yaml", "--run-dir", run.path, "--set", "vtrace.learning_rate=1e30",
                                           "--set", "max_consecutive_nonfinite=5", "--set", "evaluation.interval_steps=0"],
                                    currentDirectory: repositoryRoot)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("5 gradient steps in a row had a non-finite loss or gradient"), result.stderr)
        XCTAssertTrue(result.stderr.contains("skipped 1 gradient step(s) with a non-finite loss or gradient at learner step"), result.stderr)
        let checkpoint = try XCTUnwrap(CheckpointStore(directory: run.appendingPathComponent("checkpoints"), keep: 3).list().last)
        XCTAssertTrue(result.stderr.contains(checkpoint.url.path), result.stderr)
        let file = try SafetensorsFile.read(from: checkpoint.url)
        let parameters = file.tensors.filter { $0.name.hasPrefix("network/") }
        XCTAssertFalse(parameters.isEmpty, "\(file.tensors.map(\.name))")
        XCTAssertTrue(parameters.allSatisfy { $0.tensor.scalars.allSatisfy(\.isFinite) }, "the checkpoint's parameters are finite")
    }
}
