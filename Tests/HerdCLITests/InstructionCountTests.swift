import Foundation
import HerdTestSupport
import XCTest

/// Figures the host cannot move: instruction counts under callgrind
/// (benchmarks/instructions.py) and how compare_runs.py judges two runs.
final class InstructionCountTests: XCTestCase {
    private func python() -> String { ProcessInfo.processInfo.environment["HERD_PYTHON"] ?? "python3" }

    private func writeRun(_ directory: URL, _ figures: [String: (Double, String)]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let object: [String: Any] = ["figures": figures.mapValues { value, unit in
            ["unit": unit, "repeats": 1, "median": value, "min": value, "max": value, "runs": [value]] as [String: Any]
        }]
        try JSONSerialization.data(withJSONObject: object).write(to: directory.appendingPathComponent("results.json"))
    }

    private func compare(_ a: [String: (Double, String)], _ b: [String: (Double, String)], _ extra: [String] = []) throws -> ProcessResult {
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let runA = scratch.appendingPathComponent("a"), runB = scratch.appendingPathComponent("b")
        try writeRun(runA, a)
        try writeRun(runB, b)
        return try runProcess("/usr/bin/env", [python(), "benchmarks/compare_runs.py", runA.path, runB.path] + extra,
                              currentDirectory: repositoryRoot)
    }

    func testCompareRuns_judgesInstructionCountsAndRatios_wallClockIsInformation() throws {
        let base: [String: (Double, String)] = ["instructions_mlp_step": (1_000_000, "instructions/step"),
                                                "herd_sync_vs_envpool": (2.0, "×"),
                                                "pool_sync_2x64": (100_000, "steps/s")]
        let same = try compare(base, base)
        XCTAssertEqual(same.status, 0, same.stdout + same.stderr)
        var drifted = base
        drifted["pool_sync_2x64"] = (70_000, "steps/s")  // the host moved by 30%: information only
        drifted["instructions_mlp_step"] = (1_005_000, "instructions/step")  // 0.5%: within 1%
        let drift = try compare(base, drifted)
        XCTAssertEqual(drift.status, 0, drift.stdout + drift.stderr)
        XCTAssertTrue(drift.stdout.contains("| pool_sync_2x64 | steps/s") && drift.stdout.contains("info"), drift.stdout)
        var moreInstructions = base
        moreInstructions["instructions_mlp_step"] = (1_020_000, "instructions/step")
        let instructions = try compare(base, moreInstructions)
        XCTAssertEqual(instructions.status, 1, instructions.stdout)
        XCTAssertTrue(instructions.stdout.contains("outside their limits: instructions_mlp_step"), instructions.stdout)
        var otherRatio = base
        otherRatio["herd_sync_vs_envpool"] = (2.3, "×")
        let ratio = try compare(base, otherRatio)
        XCTAssertEqual(ratio.status, 1, ratio.stdout)
        XCTAssertTrue(ratio.stdout.contains("outside their limits: herd_sync_vs_envpool"), ratio.stdout)
        let judged = try compare(base, drifted, ["--wall-clock-limit", "0.15"])
        XCTAssertEqual(judged.status, 1, "asked to, it judges wall-clock figures too: \(judged.stdout)")
    }

    /// Every figure's region is labelled and counted, and two runs of the
    /// same binary on the same inputs count the same instructions (within
    /// 1%): what makes these figures comparable on a noisy host. A real
    /// valgrind on a real build (for x86-64-v3: valgrind 3.19 runs no
    /// AVX-512), made here unless HERD_CALLGRIND_EXECUTABLE names one.
    func testInstructionCounts_everyFigureLabelled_twoRunsAgree() throws {
        guard (try? runProcess("/usr/bin/env", ["valgrind", "--version"]))?.status == 0 else {
            throw XCTSkip("SKIPPED: valgrind is not installed (apt-get install -y valgrind); instruction counts not checked")
        }
        var arguments = ["benchmarks/instructions.py", "--tiny", "--envs", "CartPole-v1,MinAtar/Breakout-v1"]
        if let binary = ProcessInfo.processInfo.environment["HERD_CALLGRIND_EXECUTABLE"] { arguments += ["--herd", binary] }
        func counts() throws -> [String: [String: Any]] {
            let result = try runProcess("/usr/bin/env", [python()] + arguments, currentDirectory: repositoryRoot)
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return try XCTUnwrap(object?["figures"] as? [String: [String: Any]], result.stdout)
        }
        let first = try counts()
        if !arguments.contains("--herd") { arguments += ["--herd", ".build-callgrind/herd-callgrind"] }  // the first run built it
        let second = try counts()
        let expected = ["matmul_128", "cblas_128", "mlp_step", "lstm_step", "ppo_step_256", "ppo_step_64", "conv_nature_step",
                        "conv_minatar_step", "op_overhead", "env_step_cartpole_v1", "env_step_minatar_breakout_v1"]
        XCTAssertEqual(Set(first.keys), Set(expected.map { "instructions_\($0)" }))
        for (key, figure) in first {
            let a = try XCTUnwrap(figure["median"] as? Double), b = try XCTUnwrap(second[key]?["median"] as? Double)
            XCTAssertGreaterThan(a, 0, key)
            XCTAssertTrue((figure["unit"] as? String)?.hasPrefix("instructions/") ?? false, key)
            XCTAssertLessThanOrEqual(abs(a - b) / min(a, b), 0.01, "\(key): \(a) then \(b)")
        }
        // The 128³ product through Tensor.matmul does at least its 128³ multiply-adds (8 per AVX2 instruction).
        XCTAssertGreaterThan(try XCTUnwrap(first["instructions_matmul_128"]?["median"] as? Double), pow(128, 3) / 8)
    }
}
