import Foundation
import HerdTensor
import HerdTestSupport
import XCTest

final class DeviceTests: XCTestCase {
    /// A TPU-v1-like profile (figures of configs/devices/tpu-v1.yaml) with a
    /// chosen memory size.
    func profile(memory: Int = 28 << 20) -> DeviceProfile {
        DeviceProfile(name: "test-tpu", description: "test", memoryBytes: memory, memoryBytesPerSecond: 34e9,
                      linkBytesPerSecond: 15.75e9, transferLatencySeconds: 10e-6, launchLatencySeconds: 1e-6,
                      matrixUnitRows: 256, matrixUnitColumns: 256,
                      peakMatrixOpsPerSecond: ["int8": 92e12, "bf16": 23e12], peakVectorOpsPerSecond: 0.7e12,
                      defaultPrecision: .int8)
    }

    /// A batch of 8 through a 256-wide layer on a 256×256 unit:
    /// useful ops 2·8·256·256 = 1,048,576; padded 2·256·256·256 = 33,554,432;
    /// compute 33,554,432 / 92e12 = 3.647e-7 s; fp32 bytes 4·(8·256 + 256·256 + 8·256) = 278,528
    /// → 278,528 / 34e9 = 8.192e-6 s (memory-bound); total 1e-6 + 8.192e-6 s.
    func testCostModel_knownMatmul() {
        let model = CostModel(profile: profile(), precision: .int8)
        let kernel = KernelCost.matmul(m: 8, n: 256, k: 256)
        XCTAssertEqual(kernel.flops, 1_048_576)
        XCTAssertEqual(kernel.bytes, 278_528)
        XCTAssertEqual(model.paddedOps(m: 8, n: 256, k: 256), 33_554_432)
        XCTAssertEqual(model.tileUtilization(m: 8, n: 256), 8.0 / 256, accuracy: 1e-12)
        XCTAssertEqual(model.seconds(for: kernel), 1e-6 + 278_528 / 34e9, accuracy: 1e-15)
        // A compute-bound product (1 byte of traffic): 1024³ at bf16 (23e12), padded = useful = 2·1024³
        // → 9.337e-5 s plus the launch.
        let cube: Double = 1024 * 1024 * 1024
        let big = KernelCost(flops: 2 * cube, bytes: 1, matmul: (1024, 1024, 1024))
        let expected: Double = 1e-6 + 2 * cube / 23e12
        XCTAssertEqual(CostModel(profile: profile(), precision: .bf16).seconds(for: big), expected, accuracy: 1e-12)
    }

    func testAcceleratorCounters_chargeKernelsAndTransfers() throws {
        let device = Device.accelerator(profile(), precision: .bf16)
        let a = try randomTensor([8, 256], seed: 1).to(device), b = try randomTensor([256, 256], seed: 2).to(device)
        XCTAssertEqual(device.counters.transfers, 2)
        XCTAssertEqual(device.counters.bytesToDevice, 4 * (8 * 256 + 256 * 256))
        device.resetCounters()
        let c = Tensor.matmul(a, b)
        let counters = device.counters
        XCTAssertEqual(counters.kernels, 1)
        XCTAssertEqual(counters.flops, 1_048_576)
        let expectedBytes: Double = 2 * (8 * 256 + 256 * 256) + 4 * 8 * 256  // bf16 inputs, fp32 output
        let expectedSeconds: Double = 1e-6 + max(33_554_432 / 23e12, expectedBytes / 34e9)
        XCTAssertEqual(counters.busySeconds, expectedSeconds, accuracy: 1e-15)
        XCTAssertEqual(counters.utilization, (1_048_576 / 23e12) / counters.busySeconds, accuracy: 1e-9)
        _ = try c.to(.cpu)
        XCTAssertEqual(device.counters.bytesToHost, 4 * 8 * 256)
        XCTAssertEqual(device.counters.transferSeconds, 10e-6 + Double(4 * 8 * 256) / 15.75e9, accuracy: 1e-15)
    }

    func testOutOfMemory_namesRequestAndFree() throws {
        let device = Device.accelerator(profile(memory: 1024))
        let kept = try Tensor.zeros([64], on: device)  // 256 B
        XCTAssertThrowsError(try Tensor.zeros([1000], on: device)) { error in
            XCTAssertEqual(error as? DeviceError,
                           .outOfMemory(device: "test-tpu", requestedBytes: 4000, freeBytes: 768, capacityBytes: 1024))
            XCTAssertEqual("\(error)", "out of memory on test-tpu: requested 3.9 KiB, 768 B free of 1.0 KiB")
        }
        XCTAssertEqual(device.bytesInUse, 256)
        _ = kept
    }

    func testOutOfMemoryInsideOps_isStickyUntilSynchronize() throws {
        let device = Device.accelerator(profile(memory: 4096))
        let x = try Tensor.ones([200], on: device)  // 800 B
        do {
            let big = x.broadcasted(to: [10, 200])  // 8000 B: over capacity
            XCTAssertEqual(big.shape, [10, 200])
        }
        XCTAssertThrowsError(try device.synchronize()) { error in
            guard case .outOfMemory(_, let requested, _, _)? = error as? DeviceError else { return XCTFail("\(error)") }
            XCTAssertEqual(requested, 8000)
        }
        XCTAssertNoThrow(try device.synchronize(), "the error is reported once")
        XCTAssertEqual(device.bytesInUse, 800, "the big tensor's memory was returned when it died")
    }

    func testBF16Matmul_equalsFP32ProductOfRoundedInputs() throws {
        let device = Device.accelerator(profile(), precision: .bf16)
        let a = randomTensor([5, 7], seed: 3), b = randomTensor([7, 4], seed: 4)
        let onDevice = try Tensor.matmul(try a.to(device), try b.to(device)).to(.cpu)
        let ra = Tensor(a.scalars.map(roundToBFloat16), shape: a.shape), rb = Tensor(b.scalars.map(roundToBFloat16), shape: b.shape)
        assertClose(onDevice, Tensor.matmul(ra, rb).scalars, atol: 1e-6)
        XCTAssertGreaterThan(zip(onDevice.scalars, Tensor.matmul(a, b).scalars).map { Swift.abs($0 - $1) }.max()!, 0,
                             "bf16 should differ from fp32 somewhere")
    }

    /// Per element, |Σ aᵢbᵢ − Σ âᵢb̂ᵢ| ≤ Σ (|aᵢ|δ_b + |bᵢ|δ_a + δ_aδ_b) with δ = scale/2.
    func testInt8Matmul_errorWithinQuantisationBound() throws {
        let device = Device.accelerator(profile(), precision: .int8)
        let a = randomTensor([4, 16], seed: 5), b = randomTensor([16, 3], low: -3, high: 3, seed: 6)
        let q = try Tensor.matmul(try a.to(device), try b.to(device)).to(.cpu)
        let exact = Tensor.matmul(a, b)
        let da = Int8Quantized(a.scalars).scale / 2, db = Int8Quantized(b.scalars).scale / 2
        for i in 0..<4 { for j in 0..<3 {
            var bound: Float = 0
            for k in 0..<16 { bound += Swift.abs(a[i, k]) * db + Swift.abs(b[k, j]) * da + da * db }
            XCTAssertLessThanOrEqual(Swift.abs(q[i, j] - exact[i, j]), bound * 1.0001 + 1e-6)
        } }
    }

    /// Mixed devices are a programmer error: the op stops the process with a
    /// message naming both devices. Checked in a child process running the
    /// helper test below.
    func testMixedDevices_stopWithAMessageNamingBoth() throws {
        guard let bundle = CommandLine.arguments.first(where: { $0.hasSuffix(".xctest") }) else {
            throw XCTSkip("SKIPPED: cannot locate the test bundle to run the crash helper in a child process")
        }
        let result = try runProcess(bundle, ["HerdTensorTests.DeviceTests/testMixedDevicesCrashHelper"],
                                    environment: ["HERD_CRASH_HELPER": "mixed-devices"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("+: operands live on two devices (cpu and test-tpu"), result.stderr)
    }

    func testMixedDevicesCrashHelper() throws {
        guard ProcessInfo.processInfo.environment["HERD_CRASH_HELPER"] == "mixed-devices" else {
            throw XCTSkip("helper for testMixedDevices_stopWithAMessageNamingBoth; runs only in its child process")
        }
        let device = Device.accelerator(profile())
        _ = Tensor([1]) + (try Tensor([1]).to(device))
        XCTFail("unreachable: the op above must stop the process")
    }

    func testProfileValidation() {
        var p = profile()
        p.peakMatrixOpsPerSecond = ["fp64": 1e12]
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("unknown precision 'fp64'"), "\($0)") }
        p = profile()
        p.memoryBytesPerSecond = 0
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("memory_bytes_per_second"), "\($0)") }
        p = profile()
        p.defaultPrecision = .fp32
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("default_precision fp32"), "\($0)") }
    }
}

final class ReducedPrecisionTests: XCTestCase {
    func testBFloat16_roundToNearestTiesToEven() {
        let ulp: Float = 0x1p-7  // bf16 spacing in [1, 2)
        XCTAssertEqual(roundToBFloat16(1), 1)
        XCTAssertEqual(roundToBFloat16(1 + ulp / 2), 1, "tie goes to the even mantissa (1.0)")
        XCTAssertEqual(roundToBFloat16(1 + 3 * ulp / 2), 1 + 2 * ulp, "tie goes to the even mantissa (1 + 2ulp)")
        XCTAssertEqual(roundToBFloat16(1 + ulp / 2 + 0x1p-20), 1 + ulp, "above the tie rounds up")
        XCTAssertEqual(roundToBFloat16(1 + ulp / 2 - 0x1p-20), 1, "below the tie rounds down")
        XCTAssertEqual(roundToBFloat16(-1 - 3 * ulp / 2), -1 - 2 * ulp)
        XCTAssertEqual(roundToBFloat16(3.14159265), 3.140625)
    }

    func testBFloat16_overflowAndSpecials() {
        let bf16Max = Float(bitPattern: 0x7F7F_0000)  // 3.3895314e38
        XCTAssertEqual(roundToBFloat16(bf16Max), bf16Max)
        XCTAssertEqual(roundToBFloat16(.greatestFiniteMagnitude), .infinity, "rounds past bf16's largest finite")
        XCTAssertEqual(roundToBFloat16(-.greatestFiniteMagnitude), -.infinity)
        XCTAssertEqual(roundToBFloat16(.infinity), .infinity)
        XCTAssertTrue(roundToBFloat16(.nan).isNaN)
        XCTAssertEqual(roundToBFloat16(-0.0).sign, .minus)
    }

    func testInt8Quantisation_errorBoundAndRange() {
        let x = randomTensor([1000], low: -5, high: 3, seed: 7).scalars
        let q = Int8Quantized(x)
        XCTAssertEqual(q.scale, x.map { Swift.abs($0) }.max()! / 127)
        XCTAssertTrue(q.values.allSatisfy { $0 >= -127 && $0 <= 127 && $0 == $0.rounded() })
        for (v, d) in zip(x, q.dequantized) { XCTAssertLessThanOrEqual(Swift.abs(v - d), q.scale / 2 * 1.0001) }
        XCTAssertEqual(q.values[x.indices.max { Swift.abs(x[$0]) < Swift.abs(x[$1]) }!], -127, "the extreme maps to ±127")
        let zero = Int8Quantized([0, 0])
        XCTAssertEqual(zero.scale, 1)
        XCTAssertEqual(zero.dequantized, [0, 0])
    }
}
