import Foundation
import HerdAgents
import HerdCore
import HerdTensor

/// The state of a V-trace run in one safetensors file: tensors
/// `network/<name>` and `optimizer/<slot>/<name>` (plus `optimizer/step`),
/// and metadata `herd.format` (`vtrace-1`), `herd.config` (the resolved
/// YAML) and `herd.counters`. The learner's version is the counters'
/// `updates`. Unrolls in flight are not saved: a resumed run starts fresh
/// episodes, as SEED RL's learner does after a restart.
public enum VTraceCheckpoint {
    public static let format = "vtrace-1"

    public static func make(learner: VTraceLearner, counters: TrainingCounters, config: TrainConfig) -> SafetensorsFile {
        var tensors = learner.network.namedParameters.map { ("network/\($0.name)", $0.tensor) }
        tensors += learner.optimizer.stateTensors.map { ("optimizer/\($0.name)", $0.tensor) }
        return SafetensorsFile(tensors: tensors, metadata: [
            "herd.format": format,
            "herd.config": ConfigCoder.yaml(config),
            "herd.counters": encodeJSON(counters),
        ])
    }

    /// Restores the network, the optimiser and the learner's version; returns the counters.
    public static func restore(_ file: SafetensorsFile, path: String, learner: VTraceLearner) throws -> TrainingCounters {
        guard file.metadata["herd.format"] == format else {
            throw RunError.incompatible(path: path, reason: "not a Herd V-trace checkpoint (format \(file.metadata["herd.format"] ?? "missing"))")
        }
        try PPOCheckpoint.loadNetwork(learner.network, from: file, path: path)
        try PPOCheckpoint.loadOptimizer(learner.optimizer, from: file, path: path, device: learner.device)
        guard let counters: TrainingCounters = decodeJSON(file.metadata["herd.counters"]) else {
            throw RunError.incompatible(path: path, reason: "counters missing")
        }
        learner.version = counters.updates
        return counters
    }
}
