import Foundation
import HerdCore
import HerdTestSupport
import HerdTraining
import XCTest

/// `herd export --format c [--int8]`: the generated C99 compiled with
/// `cc -std=c99 -Wall -Wextra -Werror -O2`, linked with a small driver, and
/// its actions compared with Herd's on 10,000 observations (half random, half
/// on-policy): float C against Herd's own forward pass, and both forms
/// against ``DensePolicy``, whose arithmetic they share step for step.
final class CExportTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try temporaryDirectory()
        guard try runProcess("/usr/bin/env", ["sh", "-c", "command -v cc"]).status == 0 else {
            throw XCTSkip("SKIPPED: no C compiler (cc) on PATH")
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    let driver = """
    #include <stdio.h>
    #include "policy.h"
    int main(void) {
        float observation[HERD_POLICY_OBSERVATION_SIZE], action[HERD_POLICY_ACTION_SIZE];
        int i;
        while (fread(observation, sizeof(float), HERD_POLICY_OBSERVATION_SIZE, stdin) == HERD_POLICY_OBSERVATION_SIZE) {
            herd_policy_act(observation, action);
            for (i = 0; i < HERD_POLICY_ACTION_SIZE; i++) printf("%.9g\\n", action[i]);
        }
        return 0;
    }
    """

    /// Exports `run`, compiles it with the driver, and returns the actions
    /// it prints for `observations`, and the object's `size` line.
    func compiledActions(_ run: URL, int8: Bool, _ observations: [[Float]]) throws -> (actions: [Float], size: String) {
        let directory = scratch.appendingPathComponent(int8 ? "int8" : "float")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = directory.appendingPathComponent("policy.c")
        let exported = try runProcess(try herdExecutable(), ["export", run.path, "--format", "c", "--out", source.path] + (int8 ? ["--int8"] : []))
        XCTAssertEqual(exported.status, 0, exported.stderr)
        print(exported.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        try driver.write(to: directory.appendingPathComponent("driver.c"), atomically: true, encoding: .utf8)
        let flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
        let object = try runProcess("/usr/bin/env", ["cc"] + flags + ["-c", "policy.c", "-o", "policy.o"], currentDirectory: directory)
        XCTAssertEqual(object.status, 0, object.stderr)
        let linked = try runProcess("/usr/bin/env", ["cc"] + flags + ["driver.c", "policy.o", "-lm", "-o", "driver"], currentDirectory: directory)
        XCTAssertEqual(linked.status, 0, linked.stderr)
        let size = try runProcess("/usr/bin/env", ["size", "policy.o"], currentDirectory: directory)
        let input = directory.appendingPathComponent("observations.f32")
        try observations.flatMap { $0 }.withUnsafeBytes { try Data($0).write(to: input) }
        let ran = try runProcess("/usr/bin/env", ["sh", "-c", "./driver < observations.f32"], currentDirectory: directory)
        XCTAssertEqual(ran.status, 0, ran.stderr)
        return (ran.stdout.split(separator: "\n").compactMap { Float(String($0)) }, size.stdout)
    }

    func check(_ config: String, steps: Int, random: @escaping (inout RandomGenerator) -> Float) throws {
        let run = scratch.appendingPathComponent(config)
        let trained = try runProcess(try herdExecutable(), ["train", "configs/\(config).yaml", "--run-dir", run.path, "--seed", "4",
                                                            "--set", "total_steps=\(steps)", "--set", "evaluation.interval_steps=0"],
                                     currentDirectory: repositoryRoot)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let saved = try SavedPolicy.load(run)
        let dense = try saved.densePolicy()
        var rng = RandomGenerator(seed: 21)
        let n = dense.observationSize
        let observations = (0..<5000).map { _ in (0..<n).map { _ in random(&rng) } } + (try saved.onPolicyObservations(count: 5000, seed: 8))
        let d = dense.actionSize

        // Float: the C runtime is DensePolicy's arithmetic exactly, and Herd's forward pass up to rounding.
        let (float, size) = try compiledActions(run, int8: false, observations)
        print("\(config) float: size\n\(size)")
        XCTAssertEqual(float, observations.flatMap { dense.act($0) }, "\(config): the C runtime and DensePolicy differ")
        let acting = try saved.policy(for: try saved.spaces()).acting(deterministic: true, seed: 0, device: .cpu)
        let herd = try acting.act(ActingRows(environments: Array(observations.indices), observations: observations.flatMap { $0 },
                                             episodeStarts: Array(repeating: false, count: observations.count),
                                             previousRewards: Array(repeating: 0, count: observations.count),
                                             environmentCount: observations.count, observationSize: n))
        if case .categorical = dense.head {
            let differing = zip(float, herd).filter { $0 != $1 }.count
            XCTAssertLessThanOrEqual(differing, 2, "\(config): \(differing) of \(observations.count) actions differ from Herd's (ties only)")
        } else {
            let worst = zip(float, herd).map { abs($0 - $1) }.max() ?? 0
            print("\(config) float: largest difference from Herd's actions \(worst)")
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(config): C actions differ from Herd's by \(worst)")
        }

        // int8: the C runtime is DensePolicy's int8 arithmetic exactly.
        let (quantized, quantizedSize) = try compiledActions(run, int8: true, observations)
        print("\(config) int8: size\n\(quantizedSize)")
        let reference = try saved.int8Policy()
        XCTAssertEqual(quantized, observations.flatMap { reference.act($0) }, "\(config): the int8 C runtime and DensePolicy differ")
        XCTAssertEqual(quantized.count, observations.count * d)
    }

    func testCartPolePPO_floatAndInt8() throws {
        try check("cartpole_ppo", steps: 8192) { Float($0.nextUniform() * 1 - 0.5) }
    }

    func testPendulumPPO_normalizerAndBounds_floatAndInt8() throws {
        try check("pendulum_ppo", steps: 8192) { Float($0.nextUniform() * 16 - 8) }
    }
}
