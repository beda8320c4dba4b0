import Foundation

/// Before a pool starts Gymnasium workers: the interpreter
/// (`environment.python`) exists and imports what `envs/gymnasium_worker.py`
/// needs, or one sentence says what is missing and how to get it. Without
/// this a missing package shows up as workers that fail to start.
enum PythonBridgeCheck {
    /// Python modules the worker imports, and the pip package of each.
    static let requirements = [("gymnasium", "gymnasium"), ("zmq", "pyzmq"), ("numpy", "numpy")]

    static func check(python: String) throws {
        guard let path = PoolConfiguration.executable(named: python), FileManager.default.isExecutableFile(atPath: path) else {
            throw RuntimeError.spawnFailed(executable: python, message: "no such Python interpreter (environment.python; "
                                           + "gymnasium: environments run in Python workers)")
        }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: path)
        let names = requirements.map { "'\($0.0)'" }.joined(separator: ",")
        probe.arguments = ["-c", "import importlib.util; print(' '.join(m for m in (\(names)) if importlib.util.find_spec(m) is None))"]
        let output = Pipe()
        probe.standardOutput = output
        probe.standardError = FileHandle.nullDevice
        probe.standardInput = FileHandle.nullDevice
        do {
            try probe.run()
        } catch {
            throw RuntimeError.spawnFailed(executable: path, message: "cannot run it to check its packages: \(error.localizedDescription)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            throw RuntimeError.spawnFailed(executable: path, message: "it exited with status \(probe.terminationStatus) checking its packages; is it Python 3?")
        }
        let missing = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard missing.isEmpty else {
            let packages = requirements.filter { missing.contains($0.0) }.map(\.1)
            throw RuntimeError.spawnFailed(executable: path, message: "it cannot import \(missing.joined(separator: ", ")), which the Gymnasium "
                                           + "worker needs: \(path) -m pip install \(packages.joined(separator: " ")) (or set environment.python)")
        }
    }
}
