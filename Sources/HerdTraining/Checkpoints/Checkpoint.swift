import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// A run's checkpoint: one safetensors file whose metadata holds
/// `herd.format` (the agent's ``Agent/checkpointFormat``), `herd.config`
/// (the resolved YAML) and `herd.counters` (``TrainingCounters`` as JSON),
/// and whose tensors and other metadata are the agent's
/// (``AgentRun/checkpointContents()``). These are the helpers agents use
/// to write and read their parts.
public enum Checkpoint {
    /// The file for `contents` with the loop's metadata added.
    static func make(format: String, config: TrainConfig, counters: TrainingCounters,
                     contents: (tensors: [(String, Tensor)], metadata: [String: String])) -> SafetensorsFile {
        var metadata = contents.metadata
        metadata["herd.format"] = format
        metadata["herd.config"] = ConfigCoder.yaml(config)
        metadata["herd.counters"] = encodeJSON(counters)
        return SafetensorsFile(tensors: contents.tensors, metadata: metadata)
    }

    /// The registered agent that wrote `file`, and the config it was written with.
    public static func config(of file: SafetensorsFile, path: String) throws -> (agent: AgentEntry, config: TrainConfig) {
        let format = file.metadata["herd.format"] ?? "missing"
        guard let agent = AgentRegistry.agent(checkpointFormat: format), let yaml = file.metadata["herd.config"] else {
            throw RunError.incompatible(path: path, reason: "not a Herd checkpoint (format \(format); known: "
                                        + AgentRegistry.agents.map(\.checkpointFormat).joined(separator: ", ") + ")")
        }
        let config = try ConfigCoder.read(yaml: yaml, file: "\(path) (embedded config)", defaults: TrainConfig())
        guard config.agent == agent.name else {
            throw RunError.incompatible(path: path, reason: "its format \(format) is agent \(agent.name)'s, its config says agent \(config.agent)")
        }
        return (agent, config)
    }

    /// The counters stored in `file`.
    static func counters(of file: SafetensorsFile, path: String) throws -> TrainingCounters {
        guard let counters: TrainingCounters = decodeJSON(file.metadata["herd.counters"]) else {
            throw RunError.incompatible(path: path, reason: "counters missing")
        }
        return counters
    }

    /// The parameters of `network` as tensors `<prefix>/<name>`.
    public static func tensors(of network: Layer, prefix: String) -> [(String, Tensor)] {
        network.namedParameters.map { ("\(prefix)/\($0.name)", $0.tensor) }
    }

    /// The state of `optimizer` as tensors `<prefix>/<slot>/<name>`.
    public static func tensors(of optimizer: Optimizer, prefix: String = "optimizer") -> [(String, Tensor)] {
        optimizer.stateTensors.map { ("\(prefix)/\($0.name)", $0.tensor) }
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

    /// Loads `<prefix>/<slot>/<name>` tensors (and the step count) into `optimizer`.
    public static func loadOptimizer(_ optimizer: Optimizer, from file: SafetensorsFile, path: String, device: Device,
                                     prefix: String = "optimizer") throws {
        var state: [String: Tensor] = [:]
        for (name, tensor) in file.tensors where name.hasPrefix(prefix + "/") {
            state[String(name.dropFirst(prefix.count + 1))] = try tensor.to(device)
        }
        do {
            try optimizer.loadState(state)
        } catch {
            throw RunError.incompatible(path: path, reason: "\(prefix) state: \(error)")
        }
    }

    /// A normaliser's state stored as JSON under `key`, restored into
    /// `normalizer` (a fresh one of the run's kind); nil when the run did
    /// not keep one.
    public static func normalizer(_ key: String, of file: SafetensorsFile, restoringInto normalizer: StreamingNormalizer,
                                  path: String) throws -> StreamingNormalizer? {
        guard let text = file.metadata[key] else { return nil }
        guard let state: StreamingNormalizer.State = decodeJSON(text) else {
            throw RunError.incompatible(path: path, reason: "\(key) is not a normaliser state")
        }
        var normalizer = normalizer
        try normalizer.restore(state)
        return normalizer
    }
}

/// `value` as sorted-key JSON, non-finite numbers as strings.
func encodeJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

/// The value ``encodeJSON(_:)`` wrote, or nil.
func decodeJSON<T: Decodable>(_ text: String?) -> T? {
    guard let text else { return nil }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try? decoder.decode(T.self, from: Data(text.utf8))
}
