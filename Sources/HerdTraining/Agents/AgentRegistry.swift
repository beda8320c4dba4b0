import HerdEnvironments
import HerdTensor

/// The agents `herd train` knows, by their `agent:` name. Adding an agent
/// is one line here.
public enum AgentRegistry {
    public static let agents: [AgentEntry] = [
        AgentEntry(PPOAgent.self),
        AgentEntry(VTraceAgent.self),
        AgentEntry(R2D2Agent.self),
        AgentEntry(SACAgent.self),
    ]

    public static var names: [String] { agents.map(\.name) }

    public static func agent(named name: String) -> AgentEntry? { agents.first { $0.name == name } }

    /// The agent whose checkpoints carry `format`.
    public static func agent(checkpointFormat format: String) -> AgentEntry? { agents.first { $0.checkpointFormat == format } }
}

/// An ``Agent`` type behind a value, so the registry can list agents of
/// different settings types.
public struct AgentEntry: Sendable {
    public let name: String
    public let summary: String
    public let dataSource: DataSourceKind
    public let checkpointFormat: String
    public let metrics: [Metric]
    public let summaryMetrics: [Metric]
    let makeSettings: @Sendable () -> any AgentSettings
    let start: @Sendable (any AgentSettings, TrainingContext) throws -> any AgentRun
    let trainedPolicy: @Sendable (any AgentSettings, SafetensorsFile, String, TrainConfig, EnvironmentSpaces) throws -> any TrainedPolicy

    init<A: Agent>(_ agent: A.Type) {
        name = A.name
        summary = A.summary
        dataSource = A.dataSource
        checkpointFormat = A.checkpointFormat
        metrics = A.metrics
        summaryMetrics = A.summaryMetrics
        makeSettings = { A.Settings() }
        start = { settings, context in try A.start(try Self.cast(settings, A.self), context: context) }
        trainedPolicy = { settings, file, path, config, spaces in
            try A.trainedPolicy(try Self.cast(settings, A.self), checkpoint: file, path: path, config: config, spaces: spaces)
        }
    }

    /// The config's section as the agent's own type; a config whose
    /// `agent` and section disagree (a hand-made checkpoint, a config built
    /// in code) is an error, not a trap.
    private static func cast<A: Agent>(_ settings: any AgentSettings, _ agent: A.Type) throws -> A.Settings {
        guard let typed = settings as? A.Settings else {
            throw RunError.incompatible(path: "agent \(A.name)", reason: "the config's agent section is \(type(of: settings)), not \(A.Settings.self)")
        }
        return typed
    }
}
