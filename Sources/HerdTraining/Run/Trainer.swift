import Foundation
import HerdRuntime
import HerdTensor

/// What every agent's trainer (``PPOTrainer``, ``VTraceTrainer``,
/// ``R2D2Trainer``) is given: the resolved config, its run directory, the
/// device for learning and inference, the progress display, the `herd`
/// executable its workers run and where its messages go. The subclasses add
/// `train(resume:)`; ``TrainingSession`` holds what their loops share.
public class Trainer {
    public let config: TrainConfig
    public let run: RunDirectory
    public let device: Device
    public let display: ProgressDisplay
    /// Path of the `herd` executable that workers run.
    public var herdExecutable = PoolConfiguration.defaultHerdExecutable()
    /// Messages (resume, skipped checkpoints, non-finite steps) go here.
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    public init(config: TrainConfig, run: RunDirectory, device: Device = .cpu, display: ProgressDisplay = ProgressDisplay()) {
        self.config = config
        self.run = run
        self.device = device
        self.display = display
    }
}
