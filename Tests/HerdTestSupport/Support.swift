import Foundation
import HerdTensor
import XCTest

/// Asserts `actual ≈ expected` elementwise: `|a − e| ≤ atol + rtol·|e|`.
public func assertClose(_ actual: [Float], _ expected: [Float], atol: Float = 1e-6, rtol: Float = 1e-5,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "count differs \(message)", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(Swift.abs(a - e) <= atol + rtol * Swift.abs(e)) {
        XCTFail("element \(i): \(a) vs expected \(e) (atol \(atol), rtol \(rtol)) \(message)", file: file, line: line)
        return
    }
}

public func assertClose(_ actual: Tensor, _ expected: [Float], atol: Float = 1e-6, rtol: Float = 1e-5,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose(actual.scalars, expected, atol: atol, rtol: rtol, message, file: file, line: line)
}

public func assertClose(_ actual: Float, _ expected: Float, atol: Float = 1e-6, rtol: Float = 1e-5,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose([actual], [expected], atol: atol, rtol: rtol, message, file: file, line: line)
}

/// Finite-difference gradient check.
///
/// The scalar checked is `L(x) = Σ f(x) ⊙ r` with a fixed random `r`, so every
/// output element matters. For each element of each input the central
/// difference `(L(x + ε) − L(x − ε)) / 2ε` is compared with the tape's
/// gradient: `|analytic − numeric| ≤ atol + rtol·|numeric|`. Defaults
/// (ε = 1e-2, atol = 2e-3, rtol = 1e-2) suit Float32 inputs of order 1 with
/// smooth `f`: truncation error is O(ε²), rounding error O(1e-7/ε).
public func checkGradients(_ inputs: [Tensor], epsilon: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 1e-2,
                           file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
    for x in inputs { x.requiresGradient = true }
    var rng = RandomGenerator(seed: 1234)
    let probe = f(inputs)
    let weights = Tensor.randomUniform(probe.shape, low: 0.5, high: 1.5, using: &rng)
    func loss() -> Float { withoutGradients { (f(inputs) * weights).sum().scalar } }
    let tape = GradientTape()
    let l = tape.record { (f(inputs) * weights).sum() }
    let grads = tape.gradients(of: l, wrt: inputs)
    for (k, x) in inputs.enumerated() {
        XCTAssertEqual(grads[k].shape, x.shape, "gradient shape of input \(k)", file: file, line: line)
        let analytic = grads[k].scalars
        for i in 0..<x.count {
            let original = x.withUnsafeMutableBufferPointer { $0[i] }
            x.withUnsafeMutableBufferPointer { $0[i] = original + epsilon }
            let plus = loss()
            x.withUnsafeMutableBufferPointer { $0[i] = original - epsilon }
            let minus = loss()
            x.withUnsafeMutableBufferPointer { $0[i] = original }
            let numeric = (plus - minus) / (2 * epsilon)
            if !(Swift.abs(analytic[i] - numeric) <= atol + rtol * Swift.abs(numeric)) {
                XCTFail("input \(k) element \(i): analytic \(analytic[i]) vs numeric \(numeric)", file: file, line: line)
                return
            }
        }
    }
}

/// A host tensor of `shape` with uniform values in [low, high) from `seed`.
public func randomTensor(_ shape: [Int], low: Float = -1, high: Float = 1, seed: UInt64 = 0) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, using: &rng)
}

/// Values of magnitude in [margin, 1] with random signs: inputs for ops with
/// a kink at 0 (abs, relu), kept `margin` away from it.
public func awayFromZero(_ shape: [Int], margin: Float = 0.2, seed: UInt64 = 0) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let count = shape.reduce(1, *)
    let values = (0..<count).map { _ -> Float in
        let magnitude = margin + (1 - margin) * Float(rng.nextUniform())
        return rng.nextUniform() < 0.5 ? -magnitude : magnitude
    }
    return Tensor(values, shape: shape)
}

// MARK: - Processes

/// The result of running a program.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` with `arguments` and waits; stdin is closed.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       currentDirectory: URL? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes concurrently so a full pipe cannot block the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errBox.data = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let errData = errBox.data
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// The `herd` executable built beside the test bundle (`.build/<config>/herd`),
/// or a skip saying it is missing.
public func herdExecutable() throws -> String {
    let bundle = CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? CommandLine.arguments[0]
    let candidate = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("herd").path
    guard FileManager.default.isExecutableFile(atPath: candidate) else {
        throw XCTSkip("SKIPPED: herd executable not built next to the tests (\(candidate)); build with --build-tests")
    }
    return candidate
}

/// The repository root (found from this file's path).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A Python interpreter that can import every module in `modules`, or a skip
/// naming what is missing. `HERD_PYTHON` picks the interpreter.
public func pythonWith(_ modules: [String]) throws -> String {
    let python = ProcessInfo.processInfo.environment["HERD_PYTHON"] ?? "/usr/bin/env"
    let prefix = python == "/usr/bin/env" ? ["python3"] : []
    let check = try runProcess(python, prefix + ["-c", "import " + modules.joined(separator: ", ")])
    guard check.status == 0 else {
        throw XCTSkip("SKIPPED: Python cannot import \(modules.joined(separator: ", ")) (`.ci/run` installs them): \(check.stderr)")
    }
    return python
}

/// Runs a Python script with the interpreter `pythonWith` found.
public func runPython(_ python: String, _ script: String, _ arguments: [String]) throws -> ProcessResult {
    try runPythonFile(python, "-c", [script] + arguments)
}

/// Runs the Python file at `path` with the interpreter `pythonWith` found.
public func runPythonFile(_ python: String, _ path: String, _ arguments: [String]) throws -> ProcessResult {
    let prefix = python == "/usr/bin/env" ? ["python3"] : []
    return try runProcess(python, prefix + [path] + arguments)
}

/// A fresh temporary directory, removed at process exit by the OS's tmp policy.
public func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("herd-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A loopback TCP port that nothing listens on now (the kernel's pick).
public func freeTCPPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
