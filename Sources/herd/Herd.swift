import ArgumentParser
import HerdTensor
import HerdTraining

@main
struct Herd: ParsableCommand {
    /// Applies HERD_BLAS_THREADS (default 1: docs/architecture.md, "Performance notes")
    /// before any command runs; `bench tensor --blas-threads` overrides it.
    static func main() {
        BLAS.configureFromEnvironment()
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
        subcommands: [Train.self, Eval.self, Plot.self, Envs.self, Bench.self, Actor.self, Keys.self, Metrics.self, EnvWorker.self]
    )
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Herd's speed; each benchmark prints its numbers (JSON with --json).",
        subcommands: [BenchTensor.self, BenchEnvs.self, BenchInference.self]
    )
}
