import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// A trained policy read back from a run directory (its newest valid
/// checkpoint) or a checkpoint file: the config it was trained with, the
/// network and the observation normaliser.
public struct SavedPolicy {
    public var config: TrainConfig
    public var network: ActorCritic
    public var normalizer: StreamingNormalizer?
    /// The checkpoint file used.
    public var source: URL
    public var step: Int

    /// Loads from a run directory or a `.safetensors` checkpoint. Damaged newer
    /// checkpoints of a run directory are skipped and reported through `log`.
    public static func load(_ url: URL, log: (String) -> Void = { _ in }) throws -> SavedPolicy {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RunError.io(path: url.path, reason: "no such run directory or checkpoint")
        }
        let file: SafetensorsFile, source: URL
        if isDirectory.boolValue {
            let store = CheckpointStore(directory: RunDirectory(url: url).checkpoints, keep: .max)
            let newest = try store.loadNewest()
            for (bad, reason) in newest.skipped { log("skipping damaged checkpoint \(bad.path): \(reason)") }
            (file, source) = (newest.file, newest.url)
        } else {
            (file, source) = (try SafetensorsFile.read(from: url), url)
        }
        let config = try PPOCheckpoint.config(of: file, path: source.path)
        let probe: Environment
        do {
            probe = try EnvironmentRegistry.make(config.environment.name, settings: config.environment.settings)
        } catch {
            throw RunError.incompatible(path: source.path, reason: "its environment cannot be built in this process (\(error)); evaluation runs built-in environments")
        }
        let head: ActionHead
        switch probe.actionSpace {
        case let .discrete(n): head = .categorical(classes: n)
        case .box: head = .gaussian(dimension: probe.actionSpace.flatCount)
        }
        var random = RandomGenerator(seed: 0)
        let network = ActorCritic(observationSize: probe.observationSpace.flatCount, observationShape: probe.observationSpace.shape, head: head,
                                  settings: config.network, using: &random)
        try PPOCheckpoint.loadNetwork(network, from: file, path: source.path)
        let normalizer = try PPOCheckpoint.observationNormalizer(of: file, size: probe.observationSpace.flatCount)
        let counters: TrainingCounters? = decodeJSON(file.metadata["herd.counters"])
        return SavedPolicy(config: config, network: network, normalizer: normalizer, source: source, step: counters?.steps ?? 0)
    }
}
