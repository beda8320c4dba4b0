import ArgumentParser
import Foundation
import HerdTensor
import HerdTraining

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a trained policy's acting network as an ONNX model.",
        discussion: """
        Takes a run directory (its newest valid checkpoint, or the one --checkpoint names) or a checkpoint file. \
        ONNX (opset 17): every agent's acting network, `observation` [batch, n] float32 in; `action` (the deterministic \
        action in the environment's format) and the distribution's parameters out (`logits`, or `mean` and `log_std`; \
        R2D2: `q`, with its recurrent state as inputs and outputs), and `value` for PPO and V-trace unless --no-value. \
        The observation normaliser and the mapping to action bounds are folded in. --int8 quantises PPO and V-trace MLP \
        policies (ONNX in QDQ form); --format c writes them as one C99 source and header (docs/policies.md).
        """)

    @Argument(help: "A run directory or a checkpoint (.safetensors).")
    var source: String

    @Option(help: "For a run directory: latest (its newest valid checkpoint), best (checkpoints/best.safetensors) or a checkpoint file.")
    var checkpoint = "latest"

    @Option(help: "onnx, or c (one C99 source and its header, for PPO and V-trace MLP policies).")
    var format = "onnx"

    @Flag(help: "int8 weights and arithmetic, calibrated on 10,000 on-policy observations (PPO and V-trace MLP policies; ONNX in QDQ form).")
    var int8 = false

    @Option(help: "Where to write the model.")
    var out: String

    @Flag(help: "Leave out the value output.")
    var noValue = false

    func validate() throws {
        guard format == "onnx" || format == "c" else { throw ValidationError("--format \(format): herd export writes onnx or c") }
        if format == "c" && !out.hasSuffix(".c") { throw ValidationError("--format c: --out names the source, FILE.c (FILE.h is written beside it)") }
    }

    func run() throws {
        do {
            let policy = try SavedPolicy.load(URL(fileURLWithPath: source), choice: CheckpointChoice(checkpoint)) {
                FileHandle.standardError.write(Data("herd export: \($0)\n".utf8))
            }
            if format == "c" { return try writeC(policy) }
            if int8 {
                let quantized = try policy.int8Policy()
                let graph = quantized.onnxQDQ()
                let bytes = graph.model(producerVersion: HerdVersion.herd,
                                        docString: "Herd \(policy.config.agent) policy, int8 (QDQ), \(policy.source.lastPathComponent) (step \(policy.step))")
                try writeFileAtomically(Data(bytes), to: URL(fileURLWithPath: out))
                print("\(out): int8 \(policy.config.agent) policy from \(policy.source.path) (step \(policy.step)), "
                      + "\(bytes.count) bytes (\(graph.parameterBytes) of parameters)")
                return
            }
            let (bytes, graph) = try policy.onnxModel(value: !noValue)
            try writeFileAtomically(Data(bytes), to: URL(fileURLWithPath: out))
            print("\(out): \(policy.config.agent) policy from \(policy.source.path) (step \(policy.step)), "
                  + "\(bytes.count) bytes (\(graph.parameterBytes) of parameters)")
        } catch {
            throw CommandError("\(error)")
        }
    }

    /// `--format c`: FILE.c and FILE.h; with --int8, the agreement with the
    /// float policy on 10,000 on-policy observations apart from calibration's.
    private func writeC(_ saved: SavedPolicy) throws {
        let float = try saved.densePolicy()
        var policy = float
        var agreement = ""
        if int8 {
            policy = try saved.int8Policy()
            let held = try saved.onPolicyObservations(count: 10_000, seed: 2_000_029)
            let same = held.filter { float.sameAction(float.act($0), policy.act($0)) }.count
            agreement = String(format: "; int8 acts as float on %.2f%% of 10,000 on-policy observations", 100 * Double(same) / Double(held.count))
        }
        let sourceURL = URL(fileURLWithPath: out), headerURL = sourceURL.deletingPathExtension().appendingPathExtension("h")
        let generated = CPolicySource(policy, headerName: headerURL.lastPathComponent,
                                      description: "Herd \(saved.config.agent) policy for \(saved.config.environment.name), "
                                        + "\(saved.source.lastPathComponent) (step \(saved.step))\(int8 ? ", int8" : "")")
        try writeFileAtomically(Data(generated.header.utf8), to: headerURL)
        try writeFileAtomically(Data(generated.source.utf8), to: sourceURL)
        print("\(sourceURL.path), \(headerURL.lastPathComponent): \(policy.parameterBytes) bytes of parameters (const), "
              + "arena \(generated.arenaBytes) bytes (static)\(agreement)")
    }
}
