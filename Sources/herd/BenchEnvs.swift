import ArgumentParser
import Foundation
import HerdTraining

struct BenchEnvs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs",
        abstract: "Environment stepping speed with random actions.",
        discussion: """
        --in-process steps one environment on this thread (raw stepping speed). The \
        process-pool mode (workers over ZeroMQ) comes with the process pool.
        """)

    @Flag(help: "Step one environment in this process, on one thread.")
    var inProcess = false

    @Option(help: "Environment name (see `herd envs list`).")
    var env = "CartPole-v1"

    @Option(help: "Steps to time (after a warm-up of a tenth as many).")
    var steps = 10_000_000

    @Option(help: "Seed for the environment and the random actions.")
    var seed: UInt64 = 0

    @Option(name: .customLong("set"), help: "An environment setting, KEY=VALUE (repeatable).")
    var settings: [String] = []

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard inProcess else {
            throw ValidationError("only --in-process is available yet: the process-pool benchmark arrives with the ZeroMQ pool")
        }
        guard steps > 0 else { throw ValidationError("--steps must be positive") }
    }

    func run() throws {
        let result = try InProcessEnvironmentBenchmark(environment: env, settings: try parseSettings(settings),
                                                       steps: steps, seed: seed).run()
        let object: [String: Any] = ["env": env, "mode": "in-process", "steps": result.steps, "seconds": result.seconds,
                                     "episodes": result.episodes, "steps_per_second": result.stepsPerSecond]
        if json {
            print(try jsonLine(object))
        } else {
            print("\(env): \(result.steps) steps in \(String(format: "%.3f", result.seconds)) s = "
                  + "\(String(format: "%.2f", result.stepsPerSecond / 1e6)) M steps/s (\(result.episodes) episodes)")
        }
    }
}
