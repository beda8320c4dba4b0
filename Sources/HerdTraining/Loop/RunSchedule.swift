import Foundation

/// When a training loop evaluates, logs and checkpoints, by environment steps.
struct RunSchedule {
    let config: TrainConfig
    private(set) var lastLogStep: Int
    private(set) var lastLogTime: Double
    private(set) var lastCheckpointStep: Int
    private(set) var lastEvaluationStep: Int

    init(config: TrainConfig, counters: TrainingCounters, start: Double) {
        self.config = config
        lastLogStep = counters.steps
        lastLogTime = start
        lastCheckpointStep = counters.steps
        lastEvaluationStep = counters.steps
    }

    /// Whether to evaluate now (every `evaluation.interval_steps`, and at the end); marks it done.
    mutating func evaluationDue(_ step: Int) -> Bool {
        let interval = config.evaluation.intervalSteps
        guard interval > 0, step - lastEvaluationStep >= interval || step >= config.totalSteps else { return false }
        lastEvaluationStep = step
        return true
    }

    /// Records an evaluation in the counters. Returns whether it beats every
    /// earlier one (the first always does; a tie does not), and the line to
    /// print when it reaches the target return for the first time.
    func recordEvaluation(_ evaluation: EvaluationResult, counters: inout TrainingCounters,
                          wall: Double) -> (isBest: Bool, solved: String?) {
        counters.lastEvaluationReturn = evaluation.meanReturn
        let isBest = counters.bestEvaluationReturn.map { evaluation.meanReturn > $0 } ?? true
        if isBest {
            counters.bestEvaluationReturn = evaluation.meanReturn
            counters.bestEvaluationStep = counters.steps
        }
        guard let target = config.evaluation.targetReturn, evaluation.meanReturn >= target, counters.solvedAtStep == nil else {
            return (isBest, nil)
        }
        counters.solvedAtStep = counters.steps
        counters.solvedWallSeconds = wall
        return (isBest, "solved: evaluation mean return \(String(format: "%.1f", evaluation.meanReturn)) ≥ \(target) at step \(counters.steps)")
    }

    func logDue(_ step: Int) -> Bool { step - lastLogStep >= config.logging.intervalSteps || step >= config.totalSteps }

    /// Steps and seconds since the previous log line; starts the next interval.
    mutating func takeLogInterval(step: Int, now: Double) -> (steps: Int, seconds: Double) {
        defer { lastLogStep = step; lastLogTime = now }
        return (step - lastLogStep, now - lastLogTime)
    }

    /// Whether a checkpoint is due; marks it written.
    mutating func checkpointDue(_ step: Int) -> Bool {
        guard step - lastCheckpointStep >= config.checkpoint.intervalSteps else { return false }
        lastCheckpointStep = step
        return true
    }
}
