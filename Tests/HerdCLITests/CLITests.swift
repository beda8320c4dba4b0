import Foundation
import HerdTestSupport
import XCTest

/// Runs the built `herd` executable as a user would.
final class CLITests: XCTestCase {
    var herd: String { get throws { try herdExecutable() } }

    func testVersionAndHelp() throws {
        let version = try runProcess(try herd, ["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.hasPrefix("herd 0.1.0 (commit "), version.stdout)
        XCTAssertTrue(version.stdout.contains(", libzmq 4."), version.stdout)
        // The commit is the checkout's it was built from (issue 23: it named none).
        let head = try runProcess("/usr/bin/env", ["git", "-c", "safe.directory=*", "-C", repositoryRoot.path, "rev-parse", "--short=12", "HEAD"])
        if head.status == 0 {
            XCTAssertTrue(version.stdout.contains("(commit \(head.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"), version.stdout)
        }
        let help = try runProcess(try herd, ["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("bench"), help.stdout)
        XCTAssertEqual(try runProcess(try herd, ["bench", "tensor", "--help"]).status, 0)
        // No option's help says its default twice ("(default: the number of cores). (default: 2)").
        for command in [["actor"], ["bench", "envs"], ["bench", "inference"], ["train"], ["eval"]] {
            let text = try runProcess(try herd, command + ["--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
                .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
            XCTAssertNil(text.range(of: #"\(default: [^)]*\)\.? \(default:"#, options: .regularExpression), "\(command): \(text)")
        }
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

    /// The benchmark suite cannot rot: a tiny-budget run writes results.json
    /// with every expected figure and table, results.md and the plots.
    func testBenchmarkSuite_tinyRun_writesEveryExpectedKey() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try runProcess("/bin/bash", ["benchmarks/run.sh", "--quick", "--tiny", "--out", out.path],
                                    environment: ProcessInfo.processInfo.environment.merging(["HERD_EXECUTABLE": try herd]) { $1 },
                                    currentDirectory: repositoryRoot)
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json"))) as? [String: Any])
        XCTAssertEqual((json["errors"] as? [String: Any])?.count, 0, "\(json["errors"] ?? "")")
        let machine = try XCTUnwrap(json["machine"] as? [String: Any])
        for key in ["cpu", "cores", "memory_bytes", "date"] { XCTAssertNotNil(machine[key], "machine.\(key)") }
        let versions = try XCTUnwrap(json["versions"] as? [String: Any])
        for key in ["herd", "swift", "libzmq", "openblas"] { XCTAssertNotNil(versions[key] as? String, "versions.\(key)") }
        let figures = try XCTUnwrap(json["figures"] as? [String: [String: Any]])
        for key in ["env_in_process_cartpole", "pool_sync_2x64", "pool_async_2x64_batch64", "pool_roundtrip_p50", "tensor_mlp_step_us",
                    "tensor_matmul_ratio", "pendulum_ppo_final_return"] {
            let figure = try XCTUnwrap(figures[key], "figures.\(key)")
            for field in ["unit", "repeats", "median", "min", "max", "runs"] { XCTAssertNotNil(figure[field], "\(key).\(field)") }
        }
        let tables = try XCTUnwrap(json["tables"] as? [String: Any])
        for key in ["scaling_sweep", "inference_vs_batch", "cartpole_ppo_solve", "cartpole_vtrace_solve", "cartpole_r2d2_solve"] {
            XCTAssertNotNil(tables[key], "tables.\(key)")
        }
        // Aggregated over seeds by benchmarks/report.py (rliable): an IQM inside its interval for every learning benchmark.
        let aggregates = try XCTUnwrap(json["aggregates"] as? [String: Any], "aggregates")
        let systems = try XCTUnwrap(aggregates["systems"] as? [String: [String: Any]])
        for key in ["cartpole_ppo_solve", "cartpole_vtrace_solve", "cartpole_r2d2_solve"] {
            let system = try XCTUnwrap(systems[key], "aggregates.systems.\(key)")
            XCTAssertEqual(system["seeds"] as? Int, 2, key)
            // (R2D2 may not evaluate in the tiny budget: its learner has not started.)
            for statistic in ["solve_steps", "solve_seconds"] + (key == "cartpole_r2d2_solve" ? [] : ["best_return"]) {
                let estimate = try XCTUnwrap(system[statistic] as? [String: Any], "\(key).\(statistic)")
                let iqm = try XCTUnwrap(estimate["iqm"] as? Double), ci = try XCTUnwrap(estimate["ci"] as? [Double])
                XCTAssertEqual(ci.count, 2)
                XCTAssertTrue(ci[0] <= iqm + 1e-9 && iqm <= ci[1] + 1e-9, "\(key).\(statistic): \(iqm) outside \(ci)")
            }
        }
        XCTAssertNotNil(systems["pendulum_ppo_final_return"]?["final_return"], "the Pendulum return's IQM")
        let profile = try XCTUnwrap(aggregates["performance_profile"] as? [String: Any])
        XCTAssertEqual((profile["tau_return"] as? [Double])?.count, 21)
        let markdown = try String(contentsOf: out.appendingPathComponent("results.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("## Learning, aggregated over seeds"), markdown)
        for name in ["scaling", "latency_vs_batch", "learning_steps", "learning_wall", "performance_profile"] {
            for file in ["\(name).svg", "\(name).png"] {
                let size = (try? FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(file).path)[.size] as? Int) ?? 0
                XCTAssertGreaterThan(size ?? 0, 1000, "missing or empty \(file)")
            }
        }
    }

    /// The README's benchmark table is benchmarks/headline.py's output for
    /// the committed run it names: no number in it is typed by hand.
    func testReadmeHeadline_isGeneratedFromItsResults() throws {
        let result = try runProcess("/usr/bin/env", ["python3", "benchmarks/headline.py", "--check", "README.md"], currentDirectory: repositoryRoot)
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains("<!-- headline: benchmarks/results/"), "the README names the run its table comes from")
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
