import ArgumentParser
import Foundation
import HerdRuntime
import HerdTransport
import HerdBenchmarks
import HerdTraining

struct BenchEnvs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs",
        abstract: "Environment stepping speed with random actions.",
        discussion: """
        --in-process steps one environment on this thread (raw stepping speed). Otherwise the \
        process pool runs --workers processes of --envs-per-worker environments over ZeroMQ, \
        synchronously or with --async --batch-size B, with random actions chosen here (the full \
        round trip); the JSON adds p50/p99 round-trip latency of a 1-worker, 1-environment pool, \
        and the rate in each tenth of the timed steps (window_steps_per_second).
        """)

    @Flag(help: "Step one environment in this process, on one thread.")
    var inProcess = false

    // Optional, so that --help shows only the sentence (not "(default: 2)" after it).
    @Option(name: .customLong("workers"), help: "Worker processes (pool mode; default: the number of cores).")
    var workersOption: Int?
    var workers: Int { workersOption ?? ProcessInfo.processInfo.activeProcessorCount }

    @Option(help: "Environments per worker (pool mode).")
    var envsPerWorker = 64

    @Flag(name: .customLong("async"), help: "Asynchronous stepping (pool mode).")
    var asynchronous = false

    @Option(help: "With --async: environments per received batch (default: half of them).")
    var batchSize: Int?

    @Option(help: "Environment name (see `herd envs list`).")
    var env = "CartPole-v1"

    @Option(help: "Steps to time (after a warm-up of a tenth as many).")
    var steps = 10_000_000

    @Option(help: "Seed for the environment and the random actions.")
    var seed: UInt64 = 0

    @Option(name: .customLong("set"), help: "An environment setting, KEY=VALUE (repeatable).")
    var settings: [String] = []

    @Option(name: .customLong("wrapper"), help: "Pool mode, gymnasium: environments: a Gymnasium wrapper the worker applies, NAME or NAME:KEY=VALUE,KEY=VALUE (repeatable, in order).")
    var wrappers: [String] = []

    @Option(help: "Pool mode: how workers send observations: native (byte images u8, the rest f32), bf16 (floats as bfloat16) or f32.")
    var observationEncoding = "native"

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive") }
        guard workers > 0, envsPerWorker > 0 else { throw ValidationError("--workers and --envs-per-worker must be positive") }
        if let batchSize {
            guard asynchronous else { throw ValidationError("--batch-size needs --async") }
            guard batchSize > 0, batchSize <= workers * envsPerWorker else {
                throw ValidationError("--batch-size must be in 1...\(workers * envsPerWorker)")
            }
        }
    }

    func run() throws {
        guard !inProcess else { return try runInProcess() }
        var configuration = PoolConfiguration(environment: env, workers: workers, environmentsPerWorker: envsPerWorker,
                                              herdExecutable: PoolConfiguration.defaultHerdExecutable())
        configuration.settings = try parseSettings(settings)
        configuration.seed = seed
        if !wrappers.isEmpty, !env.hasPrefix("gymnasium:") {
            throw ValidationError("--wrapper applies Gymnasium wrappers: it needs a gymnasium: environment, not \(env)")
        }
        configuration.wrappers = try parseWrappers(wrappers)
        switch observationEncoding {
        case "native": configuration.observationEncoding = .native
        case "bf16": configuration.observationEncoding = .bf16
        case "f32": configuration.observationEncoding = .f32
        default: throw ValidationError("--observation-encoding must be native, bf16 or f32, not '\(observationEncoding)'")
        }
        let batch = asynchronous ? (batchSize ?? max(1, workers * envsPerWorker / 2)) : nil
        let result: PoolBenchmark.Result
        do {
            result = try PoolBenchmark(configuration: configuration, steps: steps, asyncBatchSize: batch).run()
        } catch {
            throw CommandError("\(error)")
        }
        let object: [String: Any] = [
            "env": env, "mode": asynchronous ? "async" : "sync", "workers": workers, "envs_per_worker": envsPerWorker,
            "batch_size": batch ?? workers * envsPerWorker, "steps": result.steps, "seconds": result.seconds,
            "steps_per_second": result.stepsPerSecond, "window_steps_per_second": result.windowStepsPerSecond,
            "workers_replaced": result.workersReplaced, "latency_p50_us": result.latencyP50Microseconds, "latency_p99_us": result.latencyP99Microseconds,
            "observation_dtype": result.observationDType, "observation_bytes_per_step": result.observationBytesPerStep,
        ]
        if json {
            print(try jsonLine(object))
        } else {
            print("\(env) \(asynchronous ? "async" : "sync") \(workers)×\(envsPerWorker): \(result.steps) steps in "
                  + "\(String(format: "%.3f", result.seconds)) s = \(String(format: "%.0f", result.stepsPerSecond)) steps/s; "
                  + "1×1 round trip p50 \(String(format: "%.1f", result.latencyP50Microseconds)) µs, "
                  + "p99 \(String(format: "%.1f", result.latencyP99Microseconds)) µs; "
                  + "\(result.observationDType) observations, \(String(format: "%.1f", result.observationBytesPerStep)) bytes per step")
        }
    }

    func runInProcess() throws {
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
