import ArgumentParser
import Foundation
import HerdAgents
import HerdRuntime
import HerdBenchmarks
import HerdTraining

struct BenchInference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Steps per second through central inference (SEED RL), against the bare pool.",
        discussion: """
        Runs --workers processes of --envs-per-worker environments asynchronously; the \
        inference server batches whichever are ready (up to all of them, or what is ready after \
        --timeout-ms), runs the policy network (the CartPole configs' 64×64 MLP by default) and \
        builds unrolls that a consumer thread takes, with no learning. Reports steps/s, the \
        latency from receiving a batch to sending its actions (p50, p99) and the mean batch; \
        then drives the same workers with random actions and no policy (bare pool) for the ratio.
        """)

    @Option(help: "Environment name (see `herd envs list`).")
    var env = "CartPole-v1"

    // Optional, so that --help shows only the sentence (not "(default: 2)" after it).
    @Option(name: .customLong("workers"), help: "Worker processes (default: the number of cores).")
    var workersOption: Int?
    var workers: Int { workersOption ?? ProcessInfo.processInfo.activeProcessorCount }

    @Option(help: "Environments per worker.")
    var envsPerWorker = 16

    @Option(help: "Environment steps to time (after a warm-up of a tenth as many).")
    var steps = 1_000_000

    @Option(help: "cpu, or a simulated accelerator profile NAME[:PRECISION].")
    var device = "cpu"

    @Option(help: "Hidden layer widths of the policy, comma-separated (with --torso mlp).")
    var hidden = "64,64"

    @Option(help: "The policy's torso: mlp (--hidden), nature (the Nature DQN's convolutions and 512 units) or minatar.")
    var torso = "mlp"

    @Option(name: .customLong("set"), help: "An environment setting, KEY=VALUE (repeatable).")
    var settings: [String] = []

    @Option(name: .customLong("wrapper"), help: "gymnasium: environments: a Gymnasium wrapper, NAME or NAME:KEY=VALUE,… (repeatable).")
    var wrappers: [String] = []

    @Option(help: "Most environments per inference batch (default: all).")
    var maxBatch: Int?

    @Option(help: "Milliseconds to wait for a full batch before acting on what is ready.")
    var timeoutMs = 2.0

    @Option(help: "Seed for the environments, the network and the sampling.")
    var seed: UInt64 = 0

    @Flag(help: "Skip the bare-pool comparison.")
    var noPoolComparison = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard steps > 0, workers > 0, envsPerWorker > 0 else { throw ValidationError("--steps, --workers and --envs-per-worker must be positive") }
        guard timeoutMs >= 0 else { throw ValidationError("--timeout-ms must be ≥ 0") }
        if let maxBatch, maxBatch <= 0 { throw ValidationError("--max-batch must be positive") }
    }

    func run() throws {
        let widths = hidden.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 }) else { throw CommandError("--hidden '\(hidden)': expected positive widths like 64,64") }
        var configuration = PoolConfiguration(environment: env, workers: workers, environmentsPerWorker: envsPerWorker,
                                              herdExecutable: PoolConfiguration.defaultHerdExecutable())
        configuration.seed = seed
        configuration.settings = try parseSettings(settings)
        if !wrappers.isEmpty, !env.hasPrefix("gymnasium:") {
            throw ValidationError("--wrapper applies Gymnasium wrappers: it needs a gymnasium: environment, not \(env)")
        }
        configuration.wrappers = try parseWrappers(wrappers)
        var network = NetworkSettings()
        switch torso {
        case "mlp": network.hiddenSizes = widths
        case "nature":
            network = .nature
            network.inputScale = 1 / 255
        case "minatar": network = .minAtar
        default: throw ValidationError("--torso must be mlp, nature or minatar, not '\(torso)'")
        }
        var inference = InferenceSettings(maxBatchSize: maxBatch ?? workers * envsPerWorker)
        inference.batchTimeout = timeoutMs / 1000
        let result: InferenceBenchmark.Result
        do {
            var benchmark = InferenceBenchmark(configuration: configuration, network: network, device: try Train.device(device),
                                               steps: steps, inference: inference)
            benchmark.compareWithPool = !noPoolComparison
            result = try benchmark.run()
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)")
        }
        let s = result.statistics
        var object: [String: Any] = [
            "env": env, "workers": workers, "envs_per_worker": envsPerWorker, "device": device, "steps": result.steps,
            "seconds": result.seconds, "steps_per_second": result.stepsPerSecond, "latency_p50_us": s.latencyP50 * 1e6,
            "latency_p99_us": s.latencyP99 * 1e6, "mean_batch": s.meanBatchSize, "max_batch": inference.maxBatchSize,
            "timeout_ms": timeoutMs, "device_utilization": result.deviceUtilization, "torso": torso,
            "device_seconds_per_step": result.deviceSecondsPerStep,
        ]
        if let bare = result.barePoolStepsPerSecond {
            object["bare_pool_steps_per_second"] = bare
            object["ratio_to_bare_pool"] = result.stepsPerSecond / bare
        }
        if json {
            print(try jsonLine(object))
        } else {
            var line = "\(env) \(workers)×\(envsPerWorker) on \(device): \(String(format: "%.0f", result.stepsPerSecond)) steps/s, "
                + "latency p50 \(String(format: "%.0f", s.latencyP50 * 1e6)) µs, p99 \(String(format: "%.0f", s.latencyP99 * 1e6)) µs, "
                + "mean batch \(String(format: "%.1f", s.meanBatchSize))"
            if let bare = result.barePoolStepsPerSecond {
                line += "; bare pool \(String(format: "%.0f", bare)) steps/s (ratio \(String(format: "%.2f", result.stepsPerSecond / bare)))"
            }
            print(line)
        }
    }
}
