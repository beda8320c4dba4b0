import Foundation
import HerdTensor
import HerdTestSupport
import XCTest

final class SafetensorsTests: XCTestCase {
    func sample() -> SafetensorsFile {
        SafetensorsFile(tensors: [("policy.0.weight", randomTensor([3, 2], seed: 1)),
                                  ("scalar", Tensor(2.5)),
                                  ("empty", Tensor.zeros([0, 4]))],
                        metadata: ["step": "1200", "quote\"d": "a\\b"])
    }

    func testRoundTrip_inSwift() throws {
        let data = try sample().encoded()
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "header padded to 8 bytes")
        let back = try SafetensorsFile.decode(data)
        XCTAssertEqual(back.metadata, sample().metadata)
        XCTAssertEqual(back.tensors.map(\.name), ["policy.0.weight", "scalar", "empty"])
        XCTAssertEqual(back["policy.0.weight"]!.scalars, sample()["policy.0.weight"]!.scalars)
        XCTAssertEqual(back["scalar"]!.shape, [])
        XCTAssertEqual(back["empty"]!.shape, [0, 4])
    }

    func testAtomicWrite_replacesAndLeavesNoTemporaryFiles() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("ckpt.safetensors")
        try sample().write(to: url)
        try SafetensorsFile(tensors: [("x", Tensor([1]))]).write(to: url)
        XCTAssertEqual(try SafetensorsFile.read(from: url)["x"]?.scalars, [1])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["ckpt.safetensors"])
        XCTAssertThrowsError(try sample().write(to: dir.appendingPathComponent("missing/dir/x.safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("missing/dir/x.safetensors"), "\(error)")
        }
    }

    /// Builds a file from a header string and a data buffer.
    func file(_ header: String, data: [UInt8] = []) -> Data {
        var out = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    func assertMalformed(_ data: Data, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile.decode(data, path: "bad.safetensors"), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains("bad.safetensors") && "\(error)".contains(fragment),
                          "\(error) lacks '\(fragment)'", file: file, line: line)
        }
    }

    func testDecode_rejectsEveryMalformedShape() throws {
        let good = try sample().encoded()
        assertMalformed(Data([1, 2, 3]), "shorter than the 8-byte header length")
        assertMalformed(good.prefix(20), "exceeds the file")
        assertMalformed(file("not json"), "not a JSON object")
        assertMalformed(file(#"{"x":{"dtype":"F32","shape":[2]}}"#), "lacks dtype, shape or data_offsets")
        assertMalformed(file(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]), "do not fit shape")
        assertMalformed(file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), "do not fit shape")
        assertMalformed(file(#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "negative")
        assertMalformed(file(#"{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "non-integer")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                             data: [0, 0, 0, 0]), "overlaps another or leaves a gap")
        assertMalformed(file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 6)), "2 trailing bytes")
        assertMalformed(file(#"{"__metadata__":{"k":1}}"#), "__metadata__.k is not a string")
        XCTAssertThrowsError(try SafetensorsFile.decode(file(#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                                                        path: "half.safetensors")) { error in
            XCTAssertEqual(error as? TensorIOError, .unsupportedDType(path: "half.safetensors", name: "h", dtype: "F16"))
        }
        XCTAssertThrowsError(try SafetensorsFile.read(from: URL(fileURLWithPath: "/nonexistent/x.safetensors"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/x.safetensors: cannot read"), "\(error)")
        }
    }

    /// Random corruptions of a good file never crash the reader: each either
    /// fails with a TensorIOError or decodes (a flipped data byte is still data).
    func testDecode_randomCorruptionsNeverCrash() throws {
        let good = try sample().encoded()
        var rng = RandomGenerator(seed: 9)
        for _ in 0..<2000 {
            var bytes = [UInt8](good)
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 4 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count))) }
            do { _ = try SafetensorsFile.decode(Data(bytes)) } catch is TensorIOError {} catch { XCTFail("unexpected \(error)") }
        }
    }

    // MARK: Interoperability with the Python `safetensors` package

    func testPythonReadsWhatHerdWrites() throws {
        let python = try pythonWith(["safetensors", "numpy"])
        let url = try temporaryDirectory().appendingPathComponent("herd.safetensors")
        try sample().write(to: url)
        let script = """
        import sys, json
        from safetensors.numpy import load_file
        from safetensors import safe_open
        t = load_file(sys.argv[1])
        with safe_open(sys.argv[1], framework="numpy") as f:
            meta = f.metadata()
        print(json.dumps({k: {"shape": list(v.shape), "dtype": str(v.dtype), "values": v.flatten().tolist()} for k, v in t.items()}))
        print(json.dumps(meta))
        """
        let result = try runPython(python, script, [url.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let tensors = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: [String: Any]]
        XCTAssertEqual(tensors["policy.0.weight"]?["shape"] as? [Int], [3, 2])
        XCTAssertEqual(tensors["policy.0.weight"]?["dtype"] as? String, "float32")
        let values = (tensors["policy.0.weight"]?["values"] as? [Double])?.map(Float.init)
        XCTAssertEqual(values, sample()["policy.0.weight"]!.scalars)
        XCTAssertEqual(tensors["scalar"]?["values"] as? [Double], [2.5])
        XCTAssertEqual(tensors["empty"]?["shape"] as? [Int], [0, 4])
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: String], sample().metadata)
    }

    func testHerdReadsWhatPythonWrites() throws {
        let python = try pythonWith(["safetensors", "numpy"])
        let url = try temporaryDirectory().appendingPathComponent("python.safetensors")
        let script = """
        import sys
        import numpy as np
        from safetensors.numpy import save_file
        save_file({"a": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
                   "b.bias": np.array([-1.5, 3e38, 1e-30], dtype=np.float32),
                   "c": np.zeros((0,), dtype=np.float32)},
                  sys.argv[1], metadata={"format": "np", "step": "7"})
        """
        let result = try runPython(python, script, [url.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let file = try SafetensorsFile.read(from: url)
        XCTAssertEqual(file["a"]?.shape, [2, 3])
        XCTAssertEqual(file["a"]?.scalars, [0, 0.25, 0.5, 0.75, 1, 1.25])
        XCTAssertEqual(file["b.bias"]?.scalars, [-1.5, 3e38, 1e-30])
        XCTAssertEqual(file["c"]?.shape, [0])
        XCTAssertEqual(file.metadata, ["format": "np", "step": "7"])
    }
}
