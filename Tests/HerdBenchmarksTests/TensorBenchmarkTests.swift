import Foundation
import HerdBenchmarks
import HerdTensor
import HerdTestSupport
import HerdTraining
import XCTest

final class TensorBenchmarkTests: XCTestCase {
    let catalog = DeviceCatalog(directory: repositoryRoot.appendingPathComponent("configs/devices"))

    func testTensorBenchmark_quickRunHasEveryKeyOnCPUAndAccelerator() throws {
        var options = TensorBenchmark.Options.quick
        let results = try TensorBenchmark(options: options).run()
        for key in ["matmul_128_gflops", "cblas_128_gflops", "matmul_ratio", "mlp_step_us", "lstm_step_us", "op_overhead_ns",
                    "ppo_step_256_us", "ppo_step_64_us", "conv_nature_step_us", "conv_minatar_step_us"] {
            XCTAssertGreaterThan(results[key] ?? 0, 0, key)
        }
        // The Nature torso's batch does not fit the TPU v1's 28 MiB; the rest runs there.
        options.device = try catalog.device("tpu-v1")
        options.only = ["mlp", "conv_minatar"]
        let onDevice = try TensorBenchmark(options: options).run()
        XCTAssertEqual(Set(onDevice.keys), ["blas_threads", "mlp_step_us", "conv_minatar_step_us"])
        XCTAssertGreaterThan(onDevice["conv_minatar_step_us"] ?? 0, 0)
        XCTAssertGreaterThan(options.device.counters.busySeconds, 0, "the MLP ran on the simulated device")
    }
}
