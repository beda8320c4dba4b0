import ArgumentParser
import Foundation
import HerdTraining

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a trained policy for whole episodes and report its returns.",
        discussion: """
        Takes a run directory (its newest valid checkpoint) or a checkpoint file. Environments run \
        in this process, environment i seeded from (--seed, i); observations are normalised with \
        the checkpoint's frozen statistics.
        """)

    @Argument(help: "A run directory or a checkpoint (.safetensors).")
    var source: String

    @Option(help: "Episodes to run.")
    var episodes = 100

    @Flag(help: "Act with the policy's mode instead of sampling (R2D2 always acts ε-greedily with its config's evaluation ε).")
    var deterministic = false

    @Option(help: "Seed for the environments (and sampling).")
    var seed: UInt64 = 12345

    @Flag(help: "Print one JSON object: episodes, mean_return, std_return, mean_length.")
    var json = false

    func validate() throws {
        guard episodes > 0 else { throw ValidationError("--episodes must be positive") }
    }

    func run() throws {
        do {
            let policy = try SavedPolicy.load(URL(fileURLWithPath: source)) {
                FileHandle.standardError.write(Data("herd eval: \($0)\n".utf8))
            }
            let result = try policy.evaluate(episodes: episodes, deterministic: deterministic, seed: seed)
            if json {
                print(result.json)
            } else {
                print("\(policy.source.path) (step \(policy.step)), \(policy.config.environment.name)")
                print(String(format: "%d episodes: return %.2f ± %.2f, length %.1f", result.episodes,
                             result.meanReturn, result.stdReturn, result.meanLength))
            }
        } catch {
            throw CommandError("\(error)")
        }
    }
}
