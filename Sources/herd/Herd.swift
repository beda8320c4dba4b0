import ArgumentParser
import Foundation
import HerdRuntime
import HerdTensor
import HerdTraining

@main
struct Herd: ParsableCommand {
    /// Applies HERD_BLAS_THREADS (default 1: docs/architecture.md, "Performance notes")
    /// before any command runs; `bench tensor --blas-threads` overrides it.
    static func main() {
        BLAS.configureFromEnvironment()
        HerdVersion.commit = buildCommit
        // Workers are this same program: name it for the pool (and for the
        // look-ups beside it) wherever it was started from, on PATH or not.
        if ProcessInfo.processInfo.environment["HERD_EXECUTABLE"] == nil, let own = ownExecutablePath() {
            setenv("HERD_EXECUTABLE", own, 1)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "herd",
        abstract: "Batched reinforcement learning: environments in processes over ZeroMQ, a central learner.",
        version: HerdVersion.description,
        subcommands: [Train.self, Eval.self, Export.self, Plot.self, Envs.self, Bench.self, Actor.self, Keys.self, Metrics.self, ProtocolCommand.self, EnvWorker.self]
    )
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Herd's speed; each benchmark prints its numbers (JSON with --json).",
        subcommands: [BenchTensor.self, BenchEnvs.self, BenchInference.self]
    )
}

/// This process's executable: `/proc/self/exe` (Linux), else the first
/// argument resolved against the working directory or PATH.
func ownExecutablePath() -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if length > 0 { return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return PoolConfiguration.executable(named: CommandLine.arguments[0]).map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
}
