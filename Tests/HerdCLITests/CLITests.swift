import Foundation
import HerdTestSupport
import XCTest

/// Runs the built `herd` executable as a user would.
final class CLITests: XCTestCase {
    var herd: String { get throws { try herdExecutable() } }

    func testVersionAndHelp() throws {
        let version = try runProcess(try herd, ["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.hasPrefix("herd 0.1.0 (libzmq 4."), version.stdout)
        let help = try runProcess(try herd, ["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("bench"), help.stdout)
        XCTAssertEqual(try runProcess(try herd, ["bench", "tensor", "--help"]).status, 0)
    }

    func testBenchTensorJSON_hasEveryKey() throws {
        let result = try runProcess(try herd, ["bench", "tensor", "--json", "--quick"], currentDirectory: repositoryRoot)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double]
        for key in ["matmul_ratio", "mlp_step_us", "lstm_step_us", "op_overhead_ns", "blas_threads", "ppo_step_256_us", "ppo_step_64_us"] {
            XCTAssertNotNil(object?[key], "missing \(key) in \(result.stdout)")
        }
    }

    func testBenchInferenceJSON_hasEveryKey_andServesEveryEnvironment() throws {
        let result = try runProcess(try herd, ["bench", "inference", "--env", "CartPole-v1", "--workers", "2", "--envs-per-worker", "4",
                                               "--steps", "20000", "--json"], currentDirectory: repositoryRoot)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["steps_per_second", "latency_p50_us", "latency_p99_us", "mean_batch", "bare_pool_steps_per_second", "ratio_to_bare_pool"] {
            XCTAssertNotNil(object[key] as? Double, "missing \(key) in \(result.stdout)")
        }
        XCTAssertGreaterThanOrEqual(object["steps"] as? Int ?? 0, 20000)
        let meanBatch = object["mean_batch"] as? Double ?? 0
        XCTAssertTrue((4...8).contains(meanBatch), "whole workers of 4, at most all 8 environments: \(meanBatch)")
        XCTAssertLessThanOrEqual(object["latency_p50_us"] as? Double ?? .infinity, object["latency_p99_us"] as? Double ?? 0)
    }

    func testBadArguments_clearErrors() throws {
        let badDevice = try runProcess(try herd, ["bench", "tensor", "--quick", "--device", "nope"], currentDirectory: repositoryRoot)
        XCTAssertNotEqual(badDevice.status, 0)
        XCTAssertTrue(badDevice.stderr.contains("no device profile 'nope'"), badDevice.stderr)
        let badRepeats = try runProcess(try herd, ["bench", "tensor", "--repeats", "0"])
        XCTAssertNotEqual(badRepeats.status, 0)
        XCTAssertTrue(badRepeats.stderr.contains("--repeats must be at least 1"), badRepeats.stderr)
    }
}
