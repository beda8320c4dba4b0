import Foundation
import HerdAgents
import HerdTensor
import HerdTraining

/// `herd bench tensor`: the tensor backend's speed on the shapes Herd uses.
///
/// Each figure is the median of `repeats` timed runs after a warm-up (the
/// matmul figures take the best of their runs, as GEMM benchmarks do, since
/// only interference can make a run slower, alternating the two products). Figures:
/// - `matmul_1024_gflops`: `Tensor.matmul` of two 1024×1024 matrices;
/// - `cblas_1024_gflops`: the same product straight through `cblas_sgemm`;
/// - `mlp_step_us`: MLP 4→64→64→2 tanh, batch 256: forward, MSE loss,
///   backward, Adam step;
/// - `lstm_step_us`: one LSTM step, batch 64, input and hidden 128, forward
///   and backward;
/// - `ppo_step_256_us`, `ppo_step_64_us`: one PPO gradient step (clipped
///   surrogate, value loss, entropy, global-norm clip, Adam) of separate
///   4→64→64 tanh policy (2 logits) and value networks on a minibatch of 256
///   or 64 rows of a CartPole-shaped rollout, measured over whole
///   ``PPOLearner/update(_:progress:)`` calls;
/// - `conv_nature_step_us`: the Nature DQN torso (``NetworkSettings/nature``)
///   and a 6-way linear head on a batch of 32 frame stacks 4×84×84: forward,
///   MSE loss against fixed targets, backward, Adam step;
/// - `conv_minatar_step_us`: the same with MinAtar's torso
///   (``NetworkSettings/minAtar``) on a batch of 256 boards 4×10×10;
/// - `op_overhead_ns`: one 1-element add with no tape active.
public struct TensorBenchmark {
    public struct Options {
        public var repeats = 7
        public var mlpIterations = 2000
        public var lstmIterations = 300
        public var ppoUpdates = 40
        public var natureIterations = 40
        public var minAtarIterations = 300
        public var overheadIterations = 200_000
        public var matmulSize = 1024
        public var seed: UInt64 = 0
        public var device: Device = .cpu
        /// Only the cases whose figures start with one of these (all when empty):
        /// `matmul`, `mlp`, `lstm`, `ppo`, `conv`, `conv_nature`, `op`.
        public var only: [String] = []
        public init() {}

        /// A small configuration for tests (seconds, not a measurement).
        public static var quick: Options {
            var o = Options()
            o.repeats = 1
            o.mlpIterations = 20
            o.lstmIterations = 5
            o.ppoUpdates = 2
            o.natureIterations = 1
            o.minAtarIterations = 2
            o.overheadIterations = 1000
            o.matmulSize = 128
            return o
        }

        /// For counting instructions under callgrind
        /// (benchmarks/instructions.py): the figures' own shapes, one timed
        /// run each, and iterations enough to leave first-call effects to
        /// the warm-up (valgrind runs code about 50 times slower).
        public static var instructions: Options {
            var o = Options()
            o.repeats = 1
            o.mlpIterations = 50
            o.lstmIterations = 20
            o.ppoUpdates = 2
            o.natureIterations = 2
            o.minAtarIterations = 10
            o.overheadIterations = 20_000
            return o
        }
    }

    public var options: Options
    public init(options: Options = Options()) { self.options = options }

    /// Runs every benchmark; keys as in the type's documentation.
    public func run() throws -> [String: Double] {
        var rng = RandomGenerator(seed: options.seed)
        var out: [String: Double] = ["blas_threads": Double(BLAS.threads)]
        func wanted(_ figure: String) -> Bool { options.only.isEmpty || options.only.contains { figure.hasPrefix($0) } }
        if wanted("matmul") { try matmul(&rng, into: &out) }
        if wanted("mlp_step_us") { out["mlp_step_us"] = try mlpStepSeconds(&rng) * 1e6 }
        if wanted("lstm_step_us") { out["lstm_step_us"] = lstmStepSeconds(&rng) * 1e6 }
        if wanted("ppo_step_256_us") { out["ppo_step_256_us"] = try ppoStepSeconds(minibatchRows: 256) * 1e6 }
        if wanted("ppo_step_64_us") { out["ppo_step_64_us"] = try ppoStepSeconds(minibatchRows: 64) * 1e6 }
        if wanted("conv_nature_step_us") {
            out["conv_nature_step_us"] = try convStepSeconds("conv_nature_step", .nature, batch: 32, image: [4, 84, 84],
                                                             iterations: options.natureIterations, &rng) * 1e6
        }
        if wanted("conv_minatar_step_us") {
            out["conv_minatar_step_us"] = try convStepSeconds("conv_minatar_step", .minAtar, batch: 256, image: [4, 10, 10],
                                                              iterations: options.minAtarIterations, &rng) * 1e6
        }
        if wanted("op_overhead_ns") { out["op_overhead_ns"] = opOverheadSeconds() * 1e9 }
        return out
    }

    private func matmul(_ rng: inout RandomGenerator, into out: inout [String: Double]) throws {
        let n = options.matmulSize
        let a = Tensor.randomNormal([n, n], using: &rng), b = Tensor.randomNormal([n, n], using: &rng)
        let flops = 2 * pow(Double(n), 3)
        let c = Tensor.zeros([n, n])
        let (tensorSeconds, cblasSeconds) = Self.bestInterleaved(options.repeats, "matmul_\(n)", { _ = Tensor.matmul(a, b) },
                                                                 "cblas_\(n)", {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(m: n, n: n, k: n, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                    }
                }
            }
        })
        out["matmul_\(n)_gflops"] = flops / tensorSeconds / 1e9
        out["cblas_\(n)_gflops"] = flops / cblasSeconds / 1e9
        out["matmul_ratio"] = cblasSeconds / tensorSeconds
    }

    func mlpStepSeconds(_ rng: inout RandomGenerator) throws -> Double {
        let device = options.device
        let model = MLP(sizes: [4, 64, 64, 2], activation: .tanh, using: &rng)
        try model.move(to: device)
        let optimizer = Adam(model.namedParameters, learningRate: 1e-3)
        let x = try Tensor.randomNormal([256, 4], using: &rng).to(device)
        let y = try Tensor.randomNormal([256, 2], using: &rng).to(device)
        let parameters = model.parameters
        func step() {
            let tape = GradientTape()
            let loss = tape.record { (model(x) - y).square().mean() }
            optimizer.step(tape.gradients(of: loss, wrt: parameters))
        }
        let seconds = Self.medianPerIteration("mlp_step", options.repeats, iterations: options.mlpIterations, step)
        try device.synchronize()
        return seconds
    }

    /// One training step of a convolutional torso, its dense layers and a
    /// 6-way linear head (`benchmarks/torch_conv_step.py` builds the same).
    func convStepSeconds(_ name: String, _ settings: NetworkSettings, batch: Int, image: [Int], iterations: Int,
                         _ rng: inout RandomGenerator) throws -> Double {
        let device = options.device
        let torso = ConvTorso(observationShape: image, settings: settings, using: &rng)
        let dense = MLP(sizes: [torso.outputSize] + settings.hiddenSizes + [6], activation: .relu, using: &rng)
        try torso.move(to: device)
        try dense.move(to: device)
        let named = torso.namedParameters(prefix: "torso") + dense.namedParameters(prefix: "dense")
        let optimizer = Adam(named, learningRate: 1e-4)
        let x = try Tensor.randomUniform([batch, image.reduce(1, *)], low: 0, high: 1, using: &rng).to(device)
        let y = try Tensor.randomNormal([batch, 6], using: &rng).to(device)
        let parameters = named.map(\.tensor)
        let seconds = Self.medianPerIteration(name, options.repeats, iterations: iterations) {
            let tape = GradientTape()
            let loss = tape.record { (dense(torso(x)) - y).square().mean() }
            optimizer.step(tape.gradients(of: loss, wrt: parameters))
        }
        try device.synchronize()
        return seconds
    }

    func ppoStepSeconds(minibatchRows: Int) throws -> Double {
        var settings = PPOSettings()
        settings.stepsPerEnvironment = 8
        settings.epochs = 4
        settings.minibatches = 256 / minibatchRows
        let learner = try PPOLearner(observationSize: 4, head: .categorical(classes: 2),
                                     network: NetworkSettings(), settings: settings,
                                     device: options.device, seed: options.seed)
        var rng = RandomGenerator(seed: options.seed, stream: 3)
        var rollout = Rollout(steps: 8, batchSize: 32, observationSize: 4, head: learner.head)
        for _ in 0..<8 {
            let observations = (0..<(32 * 4)).map { _ in Float(rng.nextNormal()) }
            let step = try learner.act(observations)
            rollout.observations += ObservationRows(observations)
            rollout.actions += step.actions
            rollout.logProbabilities += step.logProbabilities
            rollout.distributionParameters += step.distributionParameters
            rollout.values += step.values
            rollout.rewards += (0..<32).map { _ in 1 }
            rollout.discounts += (0..<32).map { _ in rng.nextUniform() < 0.05 ? 0 : 0.98 }
        }
        rollout.values += [Float](repeating: 0, count: 32)
        let stepsPerUpdate = Double(settings.epochs * settings.minibatches)
        var failure: Error?
        let seconds = Self.medianPerIteration("ppo_step_\(minibatchRows)", options.repeats, iterations: options.ppoUpdates,
                                              unitsPerIteration: settings.epochs * settings.minibatches) {
            do { _ = try learner.update(rollout, progress: 0) } catch { failure = error }
        }
        if let failure { throw failure }
        return seconds / stepsPerUpdate
    }

    func lstmStepSeconds(_ rng: inout RandomGenerator) -> Double {
        let cell = LSTMCell(inputSize: 128, hiddenSize: 128, using: &rng)
        let x = Tensor.randomNormal([64, 128], using: &rng)
        let state = LSTMState(hidden: Tensor.randomNormal([64, 128], using: &rng), cell: Tensor.randomNormal([64, 128], using: &rng))
        let parameters = cell.parameters
        return Self.medianPerIteration("lstm_step", options.repeats, iterations: options.lstmIterations) {
            let tape = GradientTape()
            let loss = tape.record { cell(x, state: state).hidden.sum() }
            _ = tape.gradients(of: loss, wrt: parameters)
        }
    }

    func opOverheadSeconds() -> Double {
        let a = Tensor([1]), b = Tensor([2])
        var sink: Float = 0
        let seconds = Self.medianPerIteration("op_overhead", options.repeats, iterations: options.overheadIterations) {
            sink += (a + b).scalar
        }
        if sink == -1 { print(sink) }  // keeps the adds observable
        return seconds
    }

    // MARK: Timing

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Fastest of `repeats` timed calls of each of two bodies, run
    /// alternately (after one warm-up call each) so that clock-frequency
    /// drift and interference fall on both alike. Each timed call is an
    /// instruction-count region of its figure (``InstructionCount``).
    static func bestInterleaved(_ repeats: Int, _ firstFigure: String, _ first: () -> Void,
                                _ secondFigure: String, _ second: () -> Void) -> (Double, Double) {
        first()
        second()
        var best = (Double.infinity, Double.infinity)
        for _ in 0..<max(repeats, 1) {
            var start = now()
            InstructionCount.region(firstFigure, units: 1, first)
            best.0 = min(best.0, now() - start)
            start = now()
            InstructionCount.region(secondFigure, units: 1, second)
            best.1 = min(best.1, now() - start)
        }
        return best
    }

    /// Median over `repeats` runs of the mean time per iteration, after a
    /// warm-up run of a tenth of the iterations. Each timed run is the
    /// instruction-count region of `figure` (``InstructionCount``), of
    /// `iterations × unitsPerIteration` units.
    static func medianPerIteration(_ figure: String, _ repeats: Int, iterations: Int, unitsPerIteration: Int = 1,
                                   _ body: () -> Void) -> Double {
        for _ in 0..<max(iterations / 10, 1) { body() }
        var samples: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let start = now()
            InstructionCount.region(figure, units: iterations * unitsPerIteration) {
                for _ in 0..<iterations { body() }
            }
            samples.append((now() - start) / Double(iterations))
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
