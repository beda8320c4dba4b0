import ArgumentParser
import Foundation
import HerdTraining

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a trained policy for whole episodes and report its returns.",
        discussion: """
        Takes a run directory (its newest valid checkpoint, or the one --checkpoint names) or a checkpoint file. Built-in \
        environments run in this process, others (gymnasium:) in worker processes with the run's settings and wrappers; \
        environment i is seeded from (--seed, i); observations are normalised with the checkpoint's frozen statistics. \
        --record writes a video of the episodes.
        """)

    @Argument(help: "A run directory or a checkpoint (.safetensors).")
    var source: String

    @Option(help: "For a run directory: latest (its newest valid checkpoint), best (checkpoints/best.safetensors) or a checkpoint file.")
    var checkpoint = "latest"

    @Option(help: "Episodes to run.")
    var episodes = 100

    @Flag(help: "Act with the policy's mode instead of sampling (R2D2 always acts ε-greedily with its config's evaluation ε).")
    var deterministic = false

    @Option(help: "Seed for the environments (and sampling).")
    var seed: UInt64 = 12345

    @Flag(help: "Print one JSON object: episodes, mean_return, std_return, mean_length.")
    var json = false

    @Flag(help: "Act with the int8 form of a PPO or V-trace MLP policy (herd export --format c --int8), deterministically.")
    var int8 = false

    @Option(help: "Write a video of the episodes, one after another on one environment: FILE.gif (no dependency) or FILE.mp4 (needs ffmpeg).")
    var record: String?

    @Option(help: "Frames per second of the video.")
    var fps = 30.0

    func validate() throws {
        guard episodes > 0 else { throw ValidationError("--episodes must be positive") }
        guard fps > 0 else { throw ValidationError("--fps must be positive") }
    }

    func run() throws {
        do {
            let policy = try SavedPolicy.load(URL(fileURLWithPath: source), choice: CheckpointChoice(checkpoint)) {
                FileHandle.standardError.write(Data("herd eval: \($0)\n".utf8))
            }
            let recorder = try record.map { try VideoRecorder(url: URL(fileURLWithPath: $0), framesPerSecond: fps) }
            let configure: (inout Evaluator) -> Void = { evaluator in
                guard let recorder else { return }
                evaluator.environmentCount = 1
                evaluator.frames = { try recorder.add($0) }
            }
            let result = int8 ? try policy.evaluateInt8(episodes: episodes, seed: seed, configure: configure)
                : try policy.evaluate(episodes: episodes, deterministic: deterministic, seed: seed, configure: configure)
            try recorder?.finish()
            if json {
                print(result.json)
            } else {
                print("\(policy.source.path) (step \(policy.step)), \(policy.config.environment.name)")
                print(String(format: "%d episodes: return %.2f ± %.2f, length %.1f", result.episodes,
                             result.meanReturn, result.stdReturn, result.meanLength))
                if let recorder { print("video: \(recorder.url.path), \(recorder.frames) frames at \(fps) frames/s") }
            }
        } catch {
            throw CommandError("\(error)")
        }
    }
}
