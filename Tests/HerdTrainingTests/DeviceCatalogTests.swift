import Foundation
import HerdTensor
import HerdTestSupport
import HerdTraining
import XCTest

final class DeviceCatalogTests: XCTestCase {
    let catalog = DeviceCatalog(directory: repositoryRoot.appendingPathComponent("configs/devices"))

    func testShippedProfiles_loadAndValidate() throws {
        XCTAssertTrue(Set(catalog.names()).isSuperset(of: ["tpu-v1", "gpu-a100"]))
        let tpu = try catalog.profile("tpu-v1")
        // The TPU paper's figures: 256×256 unit, 92 TOPS int8, 28 MiB, 34 GB/s.
        XCTAssertEqual(tpu.matrixUnitRows, 256)
        XCTAssertEqual(tpu.matrixUnitColumns, 256)
        XCTAssertEqual(tpu.peakMatrixOps(.int8), 92e12)
        XCTAssertEqual(tpu.memoryBytes, 28 * 1024 * 1024)
        XCTAssertEqual(tpu.memoryBytesPerSecond, 34e9)
        for name in catalog.names() { XCTAssertNoThrow(try catalog.profile(name), name) }
        let gpu = try catalog.device("gpu-a100")
        XCTAssertEqual(gpu.precision, .bf16)
        XCTAssertEqual(try catalog.device("tpu-v1", precision: .bf16).precision, .bf16)
        XCTAssertTrue(try catalog.device("cpu") === Device.cpu)
    }

    func testUnknownProfile_listsKnownOnes() {
        XCTAssertThrowsError(try catalog.profile("tpu-v9")) { error in
            XCTAssertTrue("\(error)".contains("no device profile 'tpu-v9'") && "\(error)".contains("tpu-v1"), "\(error)")
        }
    }

    func testBadYAML_namesFileAndKey() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("configs/devices/tpu-v1.yaml"), encoding: .utf8)
        let missing = text.replacingOccurrences(of: "memory_bytes: 29360128", with: "")
        XCTAssertThrowsError(try DeviceCatalog.parse(missing, source: "x.yaml")) { error in
            XCTAssertEqual("\(error)", "invalid device profile: x.yaml: missing key 'memory_bytes'")
        }
        let wrongType = text.replacingOccurrences(of: "matrix_unit_rows: 256", with: "matrix_unit_rows: wide")
        XCTAssertThrowsError(try DeviceCatalog.parse(wrongType, source: "y.yaml")) { error in
            XCTAssertTrue("\(error)".contains("y.yaml: wrong type for 'matrix_unit_rows'"), "\(error)")
        }
        let badPrecision = text.replacingOccurrences(of: "default_precision: int8", with: "default_precision: fp8")
        XCTAssertThrowsError(try DeviceCatalog.parse(badPrecision, source: "z.yaml")) { error in
            XCTAssertTrue("\(error)".contains("z.yaml") && "\(error)".contains("default_precision"), "\(error)")
        }
    }
}
