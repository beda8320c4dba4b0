import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
import HerdTensor

/// A trained policy read back from a run directory or a checkpoint file:
/// the config it was trained with, and the agent's ``TrainedPolicy``
/// (``Agent/trainedPolicy(_:checkpoint:path:config:spaces:)``) once the
/// environment's spaces are known (``policy(for:)``).
public struct SavedPolicy {
    public var config: TrainConfig
    /// The checkpoint file used.
    public var source: URL
    public var step: Int
    let agent: AgentEntry
    let file: SafetensorsFile

    /// Loads from a run directory (the checkpoint `choice` names) or a
    /// `.safetensors` checkpoint. With `.latest`, damaged newer checkpoints
    /// of a run directory are skipped and reported through `log`.
    public static func load(_ url: URL, choice: CheckpointChoice = .latest, log: (String) -> Void = { _ in }) throws -> SavedPolicy {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RunError.io(path: url.path, reason: "no such run directory or checkpoint")
        }
        let file: SafetensorsFile, source: URL
        if isDirectory.boolValue {
            let store = CheckpointStore(directory: RunDirectory(url: url).checkpoints, keep: .max)
            (file, source) = try store.load(choice, log: log)
        } else {
            guard !["yaml", "yml"].contains(url.pathExtension.lowercased()) else {
                throw RunError.io(path: url.path, reason: "this is a config; give a run directory (herd train prints it) or a checkpoint (.safetensors)")
            }
            guard choice == .latest else {
                throw RunError.io(path: url.path, reason: "--checkpoint \(choice) needs a run directory, not a checkpoint file")
            }
            (file, source) = (try SafetensorsFile.read(from: url), url)
        }
        let (agent, config) = try Checkpoint.config(of: file, path: source.path)
        let counters: TrainingCounters? = decodeJSON(file.metadata["herd.counters"])
        return SavedPolicy(config: config, source: source, step: counters?.steps ?? 0, agent: agent, file: file)
    }

    /// The run's environment spaces: from a built-in environment, or from
    /// what one worker process declares when it is ready.
    public func spaces(herdExecutable: String = PoolConfiguration.defaultHerdExecutable()) throws -> EnvironmentSpaces {
        if let probe = try? EnvironmentRegistry.make(config.environment.name, settings: config.environment.settings) {
            return EnvironmentSpaces(probe)
        }
        let worker = try WorkerEnvironments(config.environment, count: 1, workers: 1, seed: 0, herdExecutable: herdExecutable,
                                            render: false)
        defer { worker.close() }
        return worker.spaces
    }

    /// The acting network as an ONNX model (``ONNXExportable``), with the
    /// value output when `value` is set.
    public func onnxModel(value: Bool) throws -> (bytes: [UInt8], graph: ONNXGraph) {
        let spaces = try self.spaces()
        guard let exportable = try policy(for: spaces) as? ONNXExportable else {
            throw RunError.incompatible(path: source.path, reason: "\(config.agent) policies cannot be exported")
        }
        let graph = exportable.onnx(observationSize: spaces.observation.flatCount, value: value)
        let doc = "Herd \(HerdVersion.herd): \(config.agent) policy for \(config.environment.name), \(source.lastPathComponent) (step \(step))"
        return (graph.model(producerVersion: HerdVersion.herd, docString: doc), graph)
    }

    /// The policy as dense layers (PPO and V-trace MLP policies; ``DensePolicy``).
    public func densePolicy() throws -> DensePolicy {
        let spaces = try self.spaces()
        guard let actorCritic = try policy(for: spaces) as? ActorCriticPolicy else {
            throw RunError.incompatible(path: source.path, reason: "C and int8 export take PPO and V-trace policies, not \(config.agent)")
        }
        return try DensePolicy(actorCritic, observationSize: spaces.observation.flatCount)
    }

    /// `count` observations the policy meets acting deterministically
    /// (float) in a built-in environment seeded from `seed`: what int8
    /// calibration and agreement are measured on.
    public func onPolicyObservations(count: Int, seed: UInt64) throws -> [[Float]] {
        guard let env = try? EnvironmentRegistry.make(config.environment.name, settings: config.environment.settings) else {
            throw RunError.incompatible(path: source.path, reason: "int8 calibration runs the policy in a built-in environment; "
                                        + "\(config.environment.name) is not one")
        }
        let acting = try policy(for: EnvironmentSpaces(env)).acting(deterministic: true, seed: seed, device: .cpu)
        var observation = env.reset(seed: seed), start = true, collected: [[Float]] = []
        collected.reserveCapacity(count)
        while collected.count < count {
            collected.append(observation)
            let action = try acting.act(ActingRows(environments: [0], observations: observation, episodeStarts: [start], previousRewards: [0],
                                                   environmentCount: 1, observationSize: observation.count))
            let step = try env.step(action)
            start = step.terminated || step.truncated
            observation = start ? env.reset() : step.observation
        }
        return collected
    }

    /// The int8 policy calibrated on `calibration` on-policy observations
    /// (seed 1,000,033, apart from evaluation's).
    public func int8Policy(calibration: Int = 10_000) throws -> DensePolicy {
        try densePolicy().quantized(calibration: try onPolicyObservations(count: calibration, seed: 1_000_033))
    }

    /// Evaluates the int8 policy (``int8Policy(calibration:)``), acting with
    /// its deterministic action, as ``evaluate(episodes:deterministic:seed:device:configure:)`` does.
    public func evaluateInt8(episodes: Int, seed: UInt64, configure: (inout Evaluator) -> Void = { _ in }) throws -> EvaluationResult {
        let quantized = try int8Policy()
        var evaluator = Evaluator(environment: config.environment, episodes: episodes, seed: seed)
        configure(&evaluator)
        return try evaluator.run(DensePolicyActing(quantized))
    }

    /// The stored policy for environments with `spaces`.
    public func policy(for spaces: EnvironmentSpaces) throws -> any TrainedPolicy {
        try agent.trainedPolicy(config.agentSettings, file, source.path, config, spaces)
    }

    /// Runs `episodes` episodes with the run's environment settings,
    /// environment `i` seeded from `(seed, i)`: built-in environments in
    /// this process, others in worker processes. The policy's mode when
    /// `deterministic` (where it has one; R2D2 acts ε-greedily with its
    /// config's evaluation ε), else sampling. `configure` may adjust the
    /// evaluator (workers, frames to record).
    public func evaluate(episodes: Int, deterministic: Bool, seed: UInt64, device: Device = .cpu,
                         configure: (inout Evaluator) -> Void = { _ in }) throws -> EvaluationResult {
        var evaluator = Evaluator(environment: config.environment, episodes: episodes, seed: seed)
        evaluator.workers = config.environment.resolvedWorkers
        configure(&evaluator)
        return try evaluator.run { spaces in
            try policy(for: spaces).acting(deterministic: deterministic, seed: seed, device: device)
        }
    }
}
