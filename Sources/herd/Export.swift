import ArgumentParser
import Foundation
import HerdTensor
import HerdTraining

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a trained policy's acting network as an ONNX model.",
        discussion: """
        Takes a run directory (its newest valid checkpoint, or the one --checkpoint names) or a checkpoint file. \
        The model (opset 17) takes `observation` [batch, n] float32 and gives `action` (the deterministic action in \
        the environment's format) and the distribution's parameters (`logits`, or `mean` and `log_std`), and `value` \
        unless --no-value; the observation normaliser and the mapping to action bounds are folded in. PPO and V-trace \
        policies, with MLP or convolutional torsos (docs/policies.md).
        """)

    @Argument(help: "A run directory or a checkpoint (.safetensors).")
    var source: String

    @Option(help: "For a run directory: latest (its newest valid checkpoint), best (checkpoints/best.safetensors) or a checkpoint file.")
    var checkpoint = "latest"

    @Option(help: "onnx (the only format so far).")
    var format = "onnx"

    @Option(help: "Where to write the model.")
    var out: String

    @Flag(help: "Leave out the value output.")
    var noValue = false

    func validate() throws {
        guard format == "onnx" else { throw ValidationError("--format \(format): herd export writes onnx") }
    }

    func run() throws {
        do {
            let policy = try SavedPolicy.load(URL(fileURLWithPath: source), choice: CheckpointChoice(checkpoint)) {
                FileHandle.standardError.write(Data("herd export: \($0)\n".utf8))
            }
            let (bytes, graph) = try policy.onnxModel(value: !noValue)
            try writeFileAtomically(Data(bytes), to: URL(fileURLWithPath: out))
            print("\(out): \(policy.config.agent) policy from \(policy.source.path) (step \(policy.step)), "
                  + "\(bytes.count) bytes (\(graph.parameterBytes) of parameters)")
        } catch {
            throw CommandError("\(error)")
        }
    }
}
