import Foundation
import HerdAgents
import HerdEnvironments
import HerdRuntime
import HerdTensor

/// An agent's own config section, `<agent name>:` in a config file (the
/// shipped configs comment every field).
public protocol AgentSettings: ConfigSection, Sendable {
    init()
    /// Checks that involve the rest of the config, run after reading it;
    /// `coder.invalid` names keys from the top (`ppo.minibatches`).
    func validate(in config: TrainConfig, _ coder: ConfigCoder) throws
}

extension AgentSettings {
    public func validate(in config: TrainConfig, _ coder: ConfigCoder) throws {}

    /// Reads or writes this section under `key` (opens the existential for ``ConfigCoder/section(_:_:)``).
    mutating func describeSection(_ key: String, _ coder: ConfigCoder) throws { try coder.section(key, &self) }
}

/// Where an agent's experience comes from.
public enum DataSourceKind: String, Sendable {
    /// Every environment stepped in lockstep from the learner's thread
    /// (``LockstepSource``; BatchPPO's mode). Local workers only.
    case lockstep
    /// Unrolls from the central inference server, environments stepping
    /// asynchronously (``UnrollSource``; SEED RL's mode). Remote workers may join.
    case inference
}

/// One kind of agent, as the training loop sees it: its config section,
/// data source, learner (in ``start(_:context:)``), checkpoint format,
/// acting policy and metric declarations. Adding an agent is a folder
/// with a type conforming to this and one line in ``AgentRegistry``.
///
/// The loop (``TrainingLoop``) owns everything agents share: the pool,
/// the stop signal, counters, progress, metrics, TensorBoard, evaluation,
/// checkpoints, the non-finite watch and the summary.
public protocol Agent {
    associatedtype Settings: AgentSettings
    /// The `agent:` value and the name of its config section.
    static var name: String { get }
    /// One line for `docs/metrics.md` and listings.
    static var summary: String { get }
    static var dataSource: DataSourceKind { get }
    /// `herd.format` of its checkpoints (`ppo-1`).
    static var checkpointFormat: String { get }
    /// The figures its runs add to each `metrics.jsonl` line (and TensorBoard).
    static var metrics: [Metric] { get }
    /// The figures its runs add to `summary.json`.
    static var summaryMetrics: [Metric] { get }
    /// Builds the networks and the learner for a run and opens its data source.
    static func start(_ settings: Settings, context: TrainingContext) throws -> any AgentRun
    /// The policy stored in a checkpoint of this agent, for evaluation (and export).
    static func trainedPolicy(_ settings: Settings, checkpoint: SafetensorsFile, path: String, config: TrainConfig,
                              spaces: EnvironmentSpaces) throws -> any TrainedPolicy
}

extension Agent {
    public static var summaryMetrics: [Metric] { [] }
}

/// A running agent: the loop calls ``iterate(progress:)`` until the run
/// ends, and the rest when it logs, evaluates, checkpoints and finishes.
public protocol AgentRun: AnyObject {
    /// Learner updates so far (restored from a checkpoint's counters).
    var updates: Int { get }
    /// The learner's non-finite guard (``NonFiniteGuard``); the loop watches it.
    var nonFinite: NonFiniteGuard { get }
    /// Collects data from the context's source and makes learner updates.
    /// `progress` is the share of `total_steps` done. Returns the updates
    /// made (0 when the data source reached the end first). A stop request
    /// surfaces as an error thrown by the data source; let it through.
    func iterate(progress: Double) throws -> Int
    /// The interval's learner figures. The loop calls it once per log line;
    /// the run then starts its interval statistics afresh.
    func takeIntervalMetrics(seconds: Double) -> MetricValues
    /// Text added to the progress line after the common part.
    func progressSuffix(_ values: MetricValues) -> String
    /// What a checkpoint holds of this agent: tensors by name and metadata
    /// (the loop adds `herd.format`, `herd.config` and `herd.counters`).
    func checkpointContents() -> (tensors: [(String, Tensor)], metadata: [String: String])
    /// Restores what ``checkpointContents()`` wrote.
    func restore(_ file: SafetensorsFile, path: String, counters: TrainingCounters) throws
    /// Added to the resume line ("…at step N<note>").
    var resumeNote: String { get }
    /// The policy as it is now, for an evaluation.
    func trainedPolicy() -> any TrainedPolicy
    /// Called once after the last iteration; returns the agent's `summary.json` figures.
    func finish() throws -> MetricValues
}

extension AgentRun {
    public func progressSuffix(_ values: MetricValues) -> String { "" }
    public var resumeNote: String { "" }
    public func finish() throws -> MetricValues { MetricValues() }
}
