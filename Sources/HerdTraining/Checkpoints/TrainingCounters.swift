/// Counters a run carries across checkpoints (`herd.counters`).
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
    /// The step of the best evaluation (whose policy is `best.safetensors`).
    public var bestEvaluationStep: Int?
    public init() {}
}
