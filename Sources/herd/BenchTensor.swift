import ArgumentParser
import Foundation
import HerdTensor
import HerdBenchmarks
import HerdTraining

struct BenchTensor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "Tensor backend speed: matmul against bare cblas_sgemm, MLP, LSTM, PPO and convolution training steps, per-op overhead."
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "A few iterations of each case, to check the command works (not a measurement).")
    var quick = false

    @Flag(help: "One timed run per case with few iterations, for counting instructions under callgrind (benchmarks/instructions.py).")
    var instructions = false

    @Option(help: "Timed runs per case (the median is reported).")
    var repeats: Int?

    @Option(help: "Device for the MLP step: cpu, a profile name from configs/devices, or a profile path.")
    var device = "cpu"

    @Option(help: "OpenBLAS threads (default: HERD_BLAS_THREADS or 1).")
    var blasThreads: Int?

    @Option(help: "Only the figures starting with these prefixes, comma-separated (e.g. conv,mlp).")
    var only: String?

    func validate() throws {
        if let repeats, repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if let blasThreads, blasThreads < 1 { throw ValidationError("--blas-threads must be at least 1") }
        if quick && instructions { throw ValidationError("--quick and --instructions are two different sizes: give one") }
    }

    func run() throws {
        if let blasThreads { BLAS.setThreads(blasThreads) } else { BLAS.configureFromEnvironment() }
        var options = quick ? TensorBenchmark.Options.quick : instructions ? .instructions : TensorBenchmark.Options()
        if let repeats { options.repeats = repeats }
        if let only { options.only = only.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        do {
            options.device = try DeviceCatalog.standard().device(device)
        } catch {
            throw CommandError("\(error)")
        }
        let results = try TensorBenchmark(options: options).run()
        if json {
            print(try jsonLine(results))
        } else {
            for key in results.keys.sorted() { print(key.padding(toLength: 22, withPad: " ", startingAt: 0), format(results[key]!)) }
        }
    }
}

func format(_ value: Double) -> String {
    value >= 100 ? String(format: "%.1f", value) : String(format: "%.3f", value)
}

/// A dictionary as one line of JSON with sorted keys.
func jsonLine(_ object: [String: Any]) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
