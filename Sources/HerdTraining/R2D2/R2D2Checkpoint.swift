import Foundation
import HerdAgents
import HerdCore
import HerdTensor

/// The state of an R2D2 run in one safetensors file: tensors
/// `online/<name>`, `target/<name>` and `optimizer/<slot>/<name>`, metadata
/// `herd.format` (`r2d2-1`), `herd.config` and `herd.counters` (the
/// learner's version is `updates`). The replay is not saved (it can hold
/// gigabytes): a resumed run refills it from fresh acting before learning
/// again (`r2d2.min_replay`), as R2D2's own learner does after a restart.
public enum R2D2Checkpoint {
    public static let format = "r2d2-1"

    public static func make(learner: R2D2Learner, counters: TrainingCounters, config: TrainConfig) -> SafetensorsFile {
        var tensors = learner.online.namedParameters.map { ("online/\($0.name)", $0.tensor) }
        tensors += learner.target.namedParameters.map { ("target/\($0.name)", $0.tensor) }
        tensors += learner.optimizer.stateTensors.map { ("optimizer/\($0.name)", $0.tensor) }
        return SafetensorsFile(tensors: tensors, metadata: [
            "herd.format": format, "herd.config": ConfigCoder.yaml(config), "herd.counters": encodeJSON(counters),
        ])
    }

    public static func restore(_ file: SafetensorsFile, path: String, learner: R2D2Learner) throws -> TrainingCounters {
        guard file.metadata["herd.format"] == format else {
            throw RunError.incompatible(path: path, reason: "not a Herd R2D2 checkpoint (format \(file.metadata["herd.format"] ?? "missing"))")
        }
        try PPOCheckpoint.loadNetwork(learner.online, from: file, path: path, prefix: "online")
        try PPOCheckpoint.loadNetwork(learner.target, from: file, path: path, prefix: "target")
        try PPOCheckpoint.loadOptimizer(learner.optimizer, from: file, path: path, device: learner.device)
        guard let counters: TrainingCounters = decodeJSON(file.metadata["herd.counters"]) else {
            throw RunError.incompatible(path: path, reason: "counters missing")
        }
        learner.version = counters.updates
        return counters
    }
}
