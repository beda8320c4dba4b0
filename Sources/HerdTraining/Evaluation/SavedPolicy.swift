import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// A trained policy read back from a run directory (its newest valid
/// checkpoint) or a checkpoint file: the config it was trained with and
/// the agent's ``TrainedPolicy`` (``Agent/trainedPolicy(_:checkpoint:path:config:environment:)``).
public struct SavedPolicy {
    public var config: TrainConfig
    public var policy: any TrainedPolicy
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
        let (agent, config) = try Checkpoint.config(of: file, path: source.path)
        let probe: Environment
        do {
            probe = try EnvironmentRegistry.make(config.environment.name, settings: config.environment.settings)
        } catch {
            throw RunError.incompatible(path: source.path, reason: "its environment cannot be built in this process (\(error)); evaluation runs built-in environments")
        }
        let counters: TrainingCounters? = decodeJSON(file.metadata["herd.counters"])
        let policy = try agent.trainedPolicy(config.agentSettings, file, source.path, config, probe)
        return SavedPolicy(config: config, policy: policy, source: source, step: counters?.steps ?? 0)
    }

    /// Runs `episodes` episodes in process, environment `i` seeded from
    /// `(seed, i)`: the policy's mode when `deterministic` (where it has
    /// one; R2D2 acts ε-greedily with its config's evaluation ε), else sampling.
    public func evaluate(episodes: Int, deterministic: Bool, seed: UInt64, device: Device = .cpu) throws -> EvaluationResult {
        let evaluator = Evaluator(environment: config.environment.name, settings: config.environment.settings, episodes: episodes, seed: seed)
        return try evaluator.run(policy.acting(deterministic: deterministic, seed: seed, device: device))
    }
}
