import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// A trained policy read back from a run directory (its newest valid
/// checkpoint) or a checkpoint file: the config it was trained with and the
/// network (with PPO's observation normaliser).
public struct SavedPolicy {
    public enum Model {
        /// PPO and V-trace.
        case actorCritic(ActorCritic, normalizer: StreamingNormalizer?)
        /// R2D2's online Q-network.
        case qNetwork(R2D2Network)
    }

    public var config: TrainConfig
    public var model: Model
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
        let counters: TrainingCounters? = decodeJSON(file.metadata["herd.counters"])
        var random = RandomGenerator(seed: 0)
        let observationSize = probe.observationSpace.flatCount
        if config.agent == .r2d2 {
            guard case let .discrete(actions) = probe.actionSpace else {
                throw RunError.incompatible(path: source.path, reason: "an R2D2 checkpoint for continuous actions")
            }
            let network = R2D2Trainer.network(config, observationSize: observationSize, observationShape: probe.observationSpace.shape,
                                              actions: actions, using: &random)
            try PPOCheckpoint.loadNetwork(network, from: file, path: source.path, prefix: "online")
            return SavedPolicy(config: config, model: .qNetwork(network), source: source, step: counters?.steps ?? 0)
        }
        let head: ActionHead
        switch probe.actionSpace {
        case let .discrete(n): head = .categorical(classes: n)
        case .box: head = .gaussian(dimension: probe.actionSpace.flatCount)
        }
        let network = ActorCritic(observationSize: observationSize, observationShape: probe.observationSpace.shape, head: head,
                                  settings: config.network, using: &random)
        try PPOCheckpoint.loadNetwork(network, from: file, path: source.path)
        let normalizer = try PPOCheckpoint.observationNormalizer(of: file, size: observationSize)
        return SavedPolicy(config: config, model: .actorCritic(network, normalizer: normalizer), source: source, step: counters?.steps ?? 0)
    }

    /// Runs `episodes` episodes in process, environment `i` seeded from
    /// `(seed, i)`. Actor-critics take their mode when `deterministic`, else
    /// sample; Q-networks act ε-greedily with the config's evaluation ε.
    public func evaluate(episodes: Int, deterministic: Bool, seed: UInt64, device: Device = .cpu) throws -> EvaluationResult {
        let evaluator = Evaluator(environment: config.environment.name, settings: config.environment.settings,
                                  episodes: episodes, deterministic: deterministic, seed: seed)
        switch model {
        case let .actorCritic(network, normalizer):
            return try evaluator.run(network: network, normalizer: normalizer, device: device)
        case let .qNetwork(network):
            return try evaluateR2D2(evaluator, network: network, epsilon: config.r2d2.evaluationEpsilon, seed: seed, device: device)
        }
    }
}
