import Foundation
import HerdRuntime
import HerdTestSupport
import HerdTraining
import XCTest

/// The few promises about wall-clock time, with real processes, in one
/// suite: they can fail on a machine that is heavily loaded, and nowhere
/// else in the suite does a test assert a duration. The bounds are several
/// times what an idle machine needs.
final class TimingTests: XCTestCase {
    func pool(perWorker: Int, stepTimeout: Double = 1.5) throws -> ProcessPool {
        var config = PoolConfiguration(environment: "CartPole-v1", workers: 2, environmentsPerWorker: perWorker,
                                       herdExecutable: try herdExecutable())
        config.logEvents = false
        config.stepTimeout = stepTimeout
        return try ProcessPool(config)
    }

    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    func testKilledWorker_isReplacedWithin2Seconds() throws {
        let pool = try pool(perWorker: 2)
        defer { pool.close() }
        _ = try pool.reset()
        kill(pool.workerProcessIDs[1], SIGKILL)
        XCTAssertLessThan(try seconds { _ = try pool.step([1, 0, 1, 0]) }, 2.0)
        XCTAssertEqual(pool.workersReplaced, 1)
    }

    func testStoppedWorker_isNoticedWithin2Seconds() throws {
        let pool = try pool(perWorker: 2, stepTimeout: 1.0)
        defer { pool.close() }
        _ = try pool.reset()
        let stopped = pool.workerProcessIDs[0]
        kill(stopped, SIGSTOP)
        defer { kill(stopped, SIGKILL) }
        XCTAssertLessThan(try seconds { _ = try pool.step([1, 1, 1, 1]) }, 2.0)
        XCTAssertEqual(pool.workersReplaced, 1)
    }

    func testWorkerDyingAtStartup_failsWithin5Seconds() throws {
        var config = PoolConfiguration(environment: "CartPole-v1", workers: 2, environmentsPerWorker: 1, herdExecutable: "/bin/false")
        config.logEvents = false
        XCTAssertLessThan(try seconds { XCTAssertThrowsError(try ProcessPool(config)) }, 5)
    }

    func testSIGINT_endsTrainingWithin5Seconds() throws {
        let herd = try herdExecutable()
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let learner = try BackgroundProcess(herd, ["train", "configs/cartpole_ppo.yaml", "--run-dir", run.path, "--set", "total_steps=100000000",
                                                   "--set", "logging.interval_steps=1024", "--set", "evaluation.interval_steps=0"],
                                            log: scratch.appendingPathComponent("learner.log"))
        XCTAssertTrue(eventually(30) { ((try? MetricsLog.read(run.appendingPathComponent("metrics.jsonl")))?.count ?? 0) >= 2 }, learner.output)
        let elapsed = seconds {
            learner.process.interrupt()
            XCTAssertTrue(learner.waitForExit(30), learner.output)
        }
        XCTAssertLessThan(elapsed, 5)
        XCTAssertEqual(learner.process.terminationStatus, 0, learner.output)
    }

    func testDaemon_failsWithin10SecondsOnAnUnusableEndpoint() throws {
        let herd = try herdExecutable()
        for endpoint in ["ipc:///tmp/x.sock", "tcp://127.0.0.1:99999", "tcp://no-such-host.invalid:5555"] {
            XCTAssertLessThan(try seconds { XCTAssertNotEqual(try runProcess(herd, ["actor", "--learner", endpoint]).status, 0) }, 10, endpoint)
        }
    }

    /// GNU `timeout` signals the process and then its group: the run still
    /// ends with its final checkpoint and summary (the signal must come
    /// after the handler is installed, well inside 4 s on any machine).
    func testGNUTimeout_leavesTheFinalCheckpointAndSummary() throws {
        let herd = try herdExecutable()
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let result = try runProcess("/usr/bin/timeout", ["-s", "TERM", "4", herd, "train", "configs/cartpole_ppo.yaml", "--run-dir", run.path,
                                                         "--set", "total_steps=100000000", "--set", "evaluation.interval_steps=0"],
                                    currentDirectory: repositoryRoot)
        XCTAssertEqual(result.status, 124, "timeout reports that it stopped the command: \(result.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
        XCTAssertEqual(summary?["stopped_by_signal"] as? Bool, true, result.stderr)
        XCTAssertFalse(CheckpointStore(directory: run.appendingPathComponent("checkpoints"), keep: 10).list().isEmpty)
    }
}
