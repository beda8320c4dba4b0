import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// Counters a run carries across checkpoints.
public struct TrainingCounters: Codable, Equatable, Sendable {
    /// Environment steps, summed over environments.
    public var steps = 0
    public var updates = 0
    public var episodes = 0
    /// Wall-clock seconds of training so far (across resumes).
    public var wallSeconds = 0.0
    /// First step whose evaluation reached the target return, and when.
    public var solvedAtStep: Int?
    public var solvedWallSeconds: Double?
    public var lastEvaluationReturn: Double?
    public var bestEvaluationReturn: Double?
    public init() {}
}

/// The state of a PPO run in one safetensors file: tensors `network/<name>`
/// and `optimizer/<slot>/<name>` (plus `optimizer/step`), and metadata
/// `herd.format` (`ppo-1`), `herd.config` (the resolved YAML),
/// `herd.counters`, `herd.random` (the learner's RNG, hex words),
/// `herd.kl_penalty`, `herd.observation_normalizer` and
/// `herd.reward_normalizer` (JSON, exact doubles).
public enum PPOCheckpoint {
    public static let format = "ppo-1"

    public static func make(learner: PPOLearner, observationNormalizer: StreamingNormalizer?,
                            rewardNormalizer: StreamingNormalizer?, counters: TrainingCounters, config: TrainConfig) -> SafetensorsFile {
        var tensors = learner.network.namedParameters.map { ("network/\($0.name)", $0.tensor) }
        tensors += learner.optimizer.stateTensors.map { ("optimizer/\($0.name)", $0.tensor) }
        var metadata = [
            "herd.format": format,
            "herd.config": ConfigCoder.yaml(config),
            "herd.counters": encodeJSON(counters),
            "herd.random": learner.random.state.map { String($0, radix: 16) }.joined(separator: " "),
            "herd.kl_penalty": "\(learner.klController.penalty)",
        ]
        if let observationNormalizer { metadata["herd.observation_normalizer"] = encodeJSON(observationNormalizer.state) }
        if let rewardNormalizer { metadata["herd.reward_normalizer"] = encodeJSON(rewardNormalizer.state) }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// The config a checkpoint (PPO, V-trace or R2D2) was written with.
    public static func config(of file: SafetensorsFile, path: String) throws -> TrainConfig {
        guard [format, VTraceCheckpoint.format, R2D2Checkpoint.format].contains(file.metadata["herd.format"] ?? ""),
              let yaml = file.metadata["herd.config"] else {
            throw RunError.incompatible(path: path, reason: "not a Herd checkpoint (format \(file.metadata["herd.format"] ?? "missing"))")
        }
        return try ConfigCoder.read(yaml: yaml, file: "\(path) (embedded config)", defaults: TrainConfig())
    }

    /// Loads parameters `<prefix>/<name>` into `network` by name; shapes must match.
    public static func loadNetwork(_ network: Layer, from file: SafetensorsFile, path: String, prefix: String = "network") throws {
        let tensors = file.dictionary
        try network.visitParameters { name, parameter in
            guard let saved = tensors["\(prefix)/\(name)"], saved.shape == parameter.shape else {
                throw RunError.incompatible(path: path, reason: "parameter \(prefix)/\(name) \(parameter.shape) is missing or has another shape")
            }
            parameter.assign(try saved.to(parameter.device))
        }
    }

    /// Loads `optimizer/<slot>/<name>` tensors (and the step count) into `optimizer`.
    static func loadOptimizer(_ optimizer: Optimizer, from file: SafetensorsFile, path: String, device: Device) throws {
        var state: [String: Tensor] = [:]
        for (name, tensor) in file.tensors where name.hasPrefix("optimizer/") {
            state[String(name.dropFirst("optimizer/".count))] = try tensor.to(device)
        }
        do {
            try optimizer.loadState(state)
        } catch {
            throw RunError.incompatible(path: path, reason: "optimizer state: \(error)")
        }
    }

    /// Restores everything a resumed run needs; returns the counters.
    public static func restore(_ file: SafetensorsFile, path: String, learner: PPOLearner,
                               observationNormalizer: inout StreamingNormalizer?,
                               rewardNormalizer: inout StreamingNormalizer?) throws -> TrainingCounters {
        try loadNetwork(learner.network, from: file, path: path)
        try loadOptimizer(learner.optimizer, from: file, path: path, device: learner.device)
        let words = (file.metadata["herd.random"] ?? "").split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, let penalty = file.metadata["herd.kl_penalty"].flatMap(Float.init),
              let counters: TrainingCounters = decodeJSON(file.metadata["herd.counters"])
        else { throw RunError.incompatible(path: path, reason: "counters, RNG state or KL penalty missing") }
        learner.random = RandomGenerator(state: words)
        learner.klController.restore(penalty: penalty)
        learner.updates = counters.updates
        if observationNormalizer != nil {
            guard let state: StreamingNormalizer.State = decodeJSON(file.metadata["herd.observation_normalizer"]) else {
                throw RunError.incompatible(path: path, reason: "observation normaliser state missing")
            }
            try observationNormalizer!.restore(state)
        }
        if rewardNormalizer != nil {
            guard let state: StreamingNormalizer.State = decodeJSON(file.metadata["herd.reward_normalizer"]) else {
                throw RunError.incompatible(path: path, reason: "reward normaliser state missing")
            }
            try rewardNormalizer!.restore(state)
        }
        return counters
    }

    /// Observation normaliser stored in a checkpoint (nil when the run did not normalise).
    public static func observationNormalizer(of file: SafetensorsFile, size: Int) throws -> StreamingNormalizer? {
        guard let state: StreamingNormalizer.State = decodeJSON(file.metadata["herd.observation_normalizer"]) else { return nil }
        var normalizer = StreamingNormalizer(size: size, center: true, scale: true, clip: 5)
        try normalizer.restore(state)
        return normalizer
    }
}

func encodeJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

func decodeJSON<T: Decodable>(_ text: String?) -> T? {
    guard let text else { return nil }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try? decoder.decode(T.self, from: Data(text.utf8))
}
