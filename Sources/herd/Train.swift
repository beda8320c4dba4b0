import ArgumentParser
import Foundation
import HerdRuntime
import HerdTensor
import HerdTraining

struct Train: ParsableCommand {
    /// `cpu`, `NAME` or `NAME:PRECISION` (fp32, bf16, int8) of a profile in configs/devices.
    static func device(_ spec: String) throws -> Device { try DeviceCatalog.standard().resolve(spec) }

    static let configuration = CommandConfiguration(
        abstract: "Train an agent from a YAML config; writes a run directory.",
        discussion: """
        The run directory (default runs/<name>-<timestamp>) receives config.yaml (resolved), \
        metrics.jsonl, a TensorBoard event file, checkpoints/ and summary.json. Ctrl-C or SIGTERM \
        writes a checkpoint and exits 0. --resume --run-dir DIR continues from DIR's newest valid \
        checkpoint (CONFIG may then be omitted: DIR/config.yaml is used).
        """)

    @Argument(help: "A config file, e.g. configs/cartpole_ppo.yaml, or a shipped config's name (cartpole_ppo).")
    var config: String?

    @Option(help: "Run directory (default: runs/<name>-<timestamp>).")
    var runDir: String?

    @Option(help: "Seed (overrides the config's).")
    var seed: Int?

    @Option(name: .customLong("set"), help: "Override a config field, KEY=VALUE (repeatable), e.g. ppo.learning_rate=3e-4.")
    var overrides: [String] = []

    @Option(help: "cpu, or a simulated accelerator profile NAME[:PRECISION] (configs/devices/NAME.yaml; fp32, bf16, int8); overrides the config's.")
    var device: String?

    @Option(help: "Also accept remote workers (herd actor) at tcp://ADDRESS:PORT, or at PORT on loopback (V-trace, R2D2); sets fleet.listen.")
    var listen: String?

    @Option(help: "CURVE: the learner's secret key file (herd keys generate); needs --authorized-keys. Sets fleet.curve_secret_key.")
    var curveSecretKey: String?

    @Option(help: "CURVE: a directory of the public *.key files of the daemons let in. Sets fleet.authorized_keys.")
    var authorizedKeys: String?

    @Flag(help: "Continue the run in --run-dir from its newest valid checkpoint (or the one --checkpoint names).")
    var resume = false

    @Option(help: "With --resume: latest (the newest valid checkpoint), best (checkpoints/best.safetensors) or a checkpoint file.")
    var checkpoint: String?

    @Option(help: "Train one run per seed, one after another (e.g. 0-4 or 0,3,7), into --run-dir/seed-S (default runs/<name>-<timestamp>/seed-S), then print a table across them (also seeds.md and seeds.json there).")
    var seeds: String?

    func validate() throws {
        if let seeds {
            guard SeedTable.parseSeeds(seeds) != nil else { throw ValidationError("--seeds \(seeds): give seeds as 0-4, 0,3,7 or both (0-2,5)") }
            if seed != nil { throw ValidationError("--seeds and --seed: give one") }
            if resume { throw ValidationError("--seeds starts new runs; resume each with --resume --run-dir DIR/seed-S") }
        }
        if resume && runDir == nil { throw ValidationError("--resume needs --run-dir DIR") }
        if checkpoint != nil && !resume { throw ValidationError("--checkpoint goes with --resume (herd eval and herd export take it too)") }
        if !resume && config == nil { throw ValidationError("missing CONFIG (e.g. configs/cartpole_ppo.yaml)") }
    }

    func run() throws {
        var sets = overrides
        if let seed { sets.append("seed=\(seed)") }
        if let device { sets.append("device=\(device)") }
        if let listen {
            if let port = Int(listen), !(1...65535).contains(port) {
                throw CommandError("--listen \(listen): a port is in 1...65535")
            }
            sets.append("fleet.listen=\(Int(listen).map { "tcp://127.0.0.1:\($0)" } ?? listen)")
        }
        if let curveSecretKey { sets.append("fleet.curve_secret_key=\(URL(fileURLWithPath: curveSecretKey).path)") }
        if let authorizedKeys { sets.append("fleet.authorized_keys=\(URL(fileURLWithPath: authorizedKeys).path)") }
        let configURL: URL
        if let config {
            configURL = Installation.config(config)
        } else {
            configURL = URL(fileURLWithPath: runDir!).appendingPathComponent("config.yaml")
        }
        if let seeds, let list = SeedTable.parseSeeds(seeds) { return try trainSeeds(list, configURL: configURL, sets: sets) }
        do {
            let loaded = try TrainConfig.load(configURL, overrides: sets)
            let run = runDir.map { RunDirectory(url: URL(fileURLWithPath: $0)) } ?? RunDirectory.fresh(name: loaded.name)
            if resume && !FileManager.default.fileExists(atPath: run.checkpoints.path) {
                throw CommandError("--resume: \(run.url.path) has no checkpoints/ directory")
            }
            if !resume, run.holdsARun {
                throw CommandError("\(run.url.path) already holds a run; continue it with --resume --run-dir \(run.url.path), "
                                   + "or choose another --run-dir")
            }
            let deviceValue = try Self.device(loaded.device)
            StopSignal.install()
            let loop = TrainingLoop(config: loaded, run: run, device: deviceValue)
            // Printed once the directory exists: a run whose workers cannot start leaves none.
            loop.runDirectoryCreated = { print("run directory: \($0.path)") }
            let summary = try loop.train(resume: resume, from: checkpoint.map(CheckpointChoice.init) ?? .latest)
            Self.printDone(summary, run: run)
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)")
        }
    }

    static func printDone(_ summary: TrainingSummary, run: RunDirectory) {
        let rate = String(format: "%.0f", summary.stepsPerSecond)
        var line = "done: \(summary.counters.steps) steps, \(rate) steps/s"
        if let r = summary.finalReturnMean { line += ", recent return \(ProgressDisplay.returnText(r))" }
        if let e = summary.counters.lastEvaluationReturn { line += ", evaluation \(ProgressDisplay.returnText(e))" }
        if let best = summary.counters.bestEvaluationReturn, let step = summary.counters.bestEvaluationStep {
            line += ", best \(ProgressDisplay.returnText(best)) at step \(step) (checkpoints/best.safetensors)"
        }
        print(line)
        print("run directory: \(run.url.path)")
    }

    /// `--seeds`: one run per seed, one after another (each run's workers
    /// already use the machine's cores), then the table across them. A
    /// signal stops the run in progress as usual and skips the rest.
    private func trainSeeds(_ list: [Int], configURL: URL, sets: [String]) throws {
        do {
            let first = try TrainConfig.load(configURL, overrides: sets)
            let parent = runDir.map { URL(fileURLWithPath: $0) } ?? RunDirectory.fresh(name: first.name).url
            for seed in list where RunDirectory(url: parent.appendingPathComponent("seed-\(seed)")).holdsARun {
                throw CommandError("\(parent.appendingPathComponent("seed-\(seed)").path) already holds a run; choose another --run-dir")
            }
            StopSignal.install()
            var table = SeedTable()
            for seed in list {
                let config = try TrainConfig.load(configURL, overrides: sets + ["seed=\(seed)"])
                let run = RunDirectory(url: parent.appendingPathComponent("seed-\(seed)"))
                print("seed \(seed) of \(list.map(String.init).joined(separator: ", ")):")
                let loop = TrainingLoop(config: config, run: run, device: try Self.device(config.device))
                loop.runDirectoryCreated = { print("run directory: \($0.path)") }
                let summary = try loop.train(resume: false)
                Self.printDone(summary, run: run)
                table.add(seed: seed, run: run.url, summary: summary)
                if summary.stoppedBySignal {
                    print("stopping: signal received; the seeds after \(seed) are not trained")
                    break
                }
            }
            try writeFileAtomically(Data(table.markdown.utf8), to: parent.appendingPathComponent("seeds.md"))
            try writeFileAtomically(Data(table.json.utf8), to: parent.appendingPathComponent("seeds.json"))
            print("")
            print(table.markdown, terminator: "")
            print("seeds: \(parent.appendingPathComponent("seeds.md").path)")
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)")
        }
    }
}
