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
        for key in ["matmul_128_gflops", "cblas_128_gflops", "matmul_ratio", "mlp_step_us", "lstm_step_us", "op_overhead_ns"] {
            XCTAssertGreaterThan(results[key] ?? 0, 0, key)
        }
        options.device = try catalog.device("tpu-v1")
        XCTAssertGreaterThan(try TensorBenchmark(options: options).run()["mlp_step_us"] ?? 0, 0)
        XCTAssertGreaterThan(options.device.counters.busySeconds, 0, "the MLP ran on the simulated device")
    }
}
