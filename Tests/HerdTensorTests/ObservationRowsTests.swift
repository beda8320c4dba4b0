import HerdTensor
import HerdTestSupport
import XCTest

final class ObservationRowsTests: XCTestCase {
    func testBytes_stayBytes_throughAppendSliceAndGather() {
        var rows = ObservationRows()
        rows += ObservationRows(bytes: [1, 2, 3])
        rows += ObservationRows(bytes: [4, 5, 6])
        XCTAssertEqual(rows.elementType, .uint8, "an empty buffer takes the type of the first rows")
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(rows.storageBytes, 6)
        XCTAssertEqual(rows.row(1, width: 3), ObservationRows(bytes: [4, 5, 6]))
        XCTAssertEqual(rows.gather(rows: [1, 0, 1], width: 3), ObservationRows(bytes: [4, 5, 6, 1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(rows[1..<4], [2, 3, 4])
        XCTAssertEqual(rows.floatValues, [1, 2, 3, 4, 5, 6])
        var zeros = ObservationRows(zeros: 6, of: .uint8)
        zeros.replaceSubrange(3..<6, with: ObservationRows(bytes: [7, 8, 9]))
        XCTAssertEqual(zeros, ObservationRows(bytes: [0, 0, 0, 7, 8, 9]))

        let floats: ObservationRows = [0.5, -1, 2]
        XCTAssertEqual(floats.elementType, .float32)
        XCTAssertEqual(floats.storageBytes, 12)
    }

    /// Bytes become the same float tensor as their values as floats; on a
    /// simulated accelerator they cross the link at one byte per value
    /// (floats at four), and the conversion is charged as a kernel.
    func testTensor_fromBytes_equalsFloats_andCrossesTheLinkAsBytes() throws {
        let values: [UInt8] = (0..<48).map { UInt8(($0 * 37) % 256) }
        let host = try ObservationRows(bytes: values).tensor(shape: [2, 24], on: .cpu)
        XCTAssertEqual(host.shape, [2, 24])
        XCTAssertEqual(host.scalars, values.map(Float.init))

        let profile = DeviceProfile(name: "test-gpu", description: "test", memoryBytes: 64 << 20, memoryBytesPerSecond: 1e12,
                                    linkBytesPerSecond: 16e9, transferLatencySeconds: 10e-6, launchLatencySeconds: 5e-6,
                                    matrixUnitRows: 16, matrixUnitColumns: 16, peakMatrixOpsPerSecond: ["fp32": 20e12],
                                    peakVectorOpsPerSecond: 1e12, defaultPrecision: .fp32)
        let device = Device.accelerator(profile)
        let fromBytes = try ObservationRows(bytes: values).tensor(shape: [2, 24], on: device)
        let bytesCounters = device.counters
        XCTAssertEqual(bytesCounters.bytesToDevice, 48)
        XCTAssertEqual(bytesCounters.kernels, 1, "the u8 → f32 conversion runs on the device")
        device.resetCounters()
        let fromFloats = try ObservationRows(values.map(Float.init)).tensor(shape: [2, 24], on: device)
        XCTAssertEqual(device.counters.bytesToDevice, 4 * 48)
        XCTAssertEqual(try fromBytes.to(.cpu).scalars, try fromFloats.to(.cpu).scalars)
    }
}
