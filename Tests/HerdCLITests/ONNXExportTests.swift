import Foundation
import HerdAgents
import HerdEnvironments
import HerdTensor
import HerdTestSupport
import HerdTraining
import XCTest

/// `herd export --format onnx` checked by the ONNX package's checker and run
/// by onnxruntime beside Herd's own forward pass: 10,000 random and 10,000
/// on-policy observations per shipped kind of policy (categorical MLP,
/// Gaussian MLP with the observation normaliser and action bounds, and the
/// MinAtar convolutional torso).
final class ONNXExportTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try temporaryDirectory()
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    /// An input for onnxruntime: float32 values, or int64 ones.
    enum Input {
        case float([Float], shape: [Int])
        case int64([Int], shape: [Int])
    }

    /// Runs onnxruntime on `observations` (`[rows, n]`) and returns each output's values as floats.
    func onnxruntime(_ model: URL, _ observations: [Float], rows: Int, n: Int) throws -> [String: [Float]] {
        try onnxruntime(model, ["observation": .float(observations, shape: [rows, n])])
    }

    /// Checks `model` with `onnx.checker`, runs it with onnxruntime on `inputs`, and returns each output as floats.
    func onnxruntime(_ model: URL, _ inputs: [String: Input]) throws -> [String: [Float]] {
        let python = try pythonWith(["onnx", "onnxruntime", "numpy"])
        var described: [String: Any] = [:]
        for (name, input) in inputs {
            let file = scratch.appendingPathComponent("input-\(name).bin")
            switch input {
            case let .float(values, shape):
                try values.withUnsafeBytes { try Data($0).write(to: file) }
                described[name] = ["<f4", shape, file.path]
            case let .int64(values, shape):
                try values.map { Int64($0) }.withUnsafeBytes { try Data($0).write(to: file) }
                described[name] = ["<i8", shape, file.path]
            }
        }
        let spec = scratch.appendingPathComponent("inputs.json")
        try JSONSerialization.data(withJSONObject: described).write(to: spec)
        let script = """
        import sys, json
        import numpy as np, onnx, onnxruntime as ort
        model, spec, out = sys.argv[1], sys.argv[2], sys.argv[3]
        onnx.checker.check_model(onnx.load(model), full_check=True)
        assert onnx.load(model).opset_import[0].version >= 17
        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        feed = {name: np.fromfile(path, dtype=dtype).reshape(shape) for name, (dtype, shape, path) in json.load(open(spec)).items()}
        names = [o.name for o in session.get_outputs()]
        for name, value in zip(names, session.run(None, feed)):
            np.asarray(value, dtype="<f4").tofile(f"{out}/{name}.f32")
        print(json.dumps(names))
        """
        let result = try runPython(python, script, [model.path, spec.path, scratch.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let names = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String])
        var outputs: [String: [Float]] = [:]
        for name in names {
            let data = try Data(contentsOf: scratch.appendingPathComponent("\(name).f32"))
            outputs[name] = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        return outputs
    }

    /// The largest difference between `ours` and onnxruntime's output `name`
    /// (relative to the size of the values when `relative`), at most 1e-5.
    func assertClose(_ theirs: [String: [Float]], _ name: String, _ ours: [Float], relative: Bool = false, label: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard let other = theirs[name] else { return XCTFail("\(label): no output \(name)", file: file, line: line) }
        XCTAssertEqual(other.count, ours.count, "\(label): \(name)", file: file, line: line)
        let worst = zip(ours, other).map { abs($0 - $1) / (relative ? max(1, abs($0)) : 1) }.max() ?? 0
        print("\(label) \(name): largest difference \(worst)\(relative ? " (relative)" : "") over \(ours.count) values")
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(label): \(name) differs by \(worst)\(relative ? " (relative)" : "")",
                                 file: file, line: line)
    }

    /// Trains `config` briefly (its own evaluations off) and exports its latest checkpoint.
    func trainAndExport(_ config: String, steps: Int, file: StaticString = #filePath, line: UInt = #line) throws -> (SavedPolicy, URL) {
        let run = scratch.appendingPathComponent(config)
        let trained = try runProcess(try herdExecutable(), ["train", "configs/\(config).yaml", "--run-dir", run.path, "--seed", "2",
                                                            "--set", "total_steps=\(steps)", "--set", "evaluation.interval_steps=0"],
                                     currentDirectory: repositoryRoot)
        XCTAssertEqual(trained.status, 0, trained.stderr, file: file, line: line)
        let model = scratch.appendingPathComponent("\(config).onnx")
        let exported = try runProcess(try herdExecutable(), ["export", run.path, "--format", "onnx", "--out", model.path])
        XCTAssertEqual(exported.status, 0, exported.stderr, file: file, line: line)
        return (try SavedPolicy.load(run), model)
    }

    /// Trains `config` briefly, exports it, and compares on random and on-policy observations.
    func check(_ config: String, steps: Int, random: (inout RandomGenerator) -> Float, file: StaticString = #filePath, line: UInt = #line) throws {
        let (saved, model) = try trainAndExport(config, steps: steps, file: file, line: line)
        let spaces = try saved.spaces()
        let policy = try XCTUnwrap(try saved.policy(for: spaces) as? ActorCriticPolicy)
        let n = spaces.observation.flatCount
        var rng = RandomGenerator(seed: 11)
        var observations = (0..<(10_000 * n)).map { _ in random(&rng) }
        observations += try saved.onPolicyObservations(count: 10_000, seed: 99).flatMap { $0 }
        try compare(policy, model: model, observations, n: n, label: config, file: file, line: line)
    }

    /// Herd's outputs for `observations` against onnxruntime's for `model`.
    func compare(_ policy: ActorCriticPolicy, model: URL, _ observations: [Float], n: Int, label config: String,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = observations.count / n
        let theirs = try onnxruntime(model, observations, rows: rows, n: n)

        // Herd's forward pass, as evaluation runs it.
        var input = observations
        if let normalizer = policy.normalizer {
            input.withUnsafeMutableBufferPointer { buffer in
                for row in 0..<rows { normalizer.transform(UnsafeMutableBufferPointer(rebasing: buffer[(row * n)..<((row + 1) * n)])) }
            }
        }
        let (distribution, value) = withoutGradients { policy.network(try! Tensor(input, shape: [rows, n])) }
        let acting = policy.acting(deterministic: true, seed: 0, device: .cpu)
        let actions = try acting.act(ActingRows(environments: Array(0..<rows), observations: observations,
                                                episodeStarts: Array(repeating: false, count: rows),
                                                previousRewards: Array(repeating: 0, count: rows), environmentCount: rows,
                                                observationSize: n))
        func close(_ name: String, _ ours: [Float], relative: Bool = false) {
            assertClose(theirs, name, ours, relative: relative, label: config, file: file, line: line)
        }
        close("value", value.scalars, relative: true)
        switch distribution {
        case let .categorical(c):
            close("logits", c.logits.scalars)
            // The same class, except where Herd's two best logits are closer than the tolerance.
            let logits = c.logits.scalars, classes = logits.count / rows
            for row in 0..<rows where Float(Int(theirs["action"]![row])) != actions[row] {
                let sorted = logits[(row * classes)..<((row + 1) * classes)].sorted(by: >)
                XCTAssertLessThan(sorted[0] - sorted[1], 1e-5, "\(config): row \(row) acts differently", file: file, line: line)
            }
        case let .gaussian(g):
            close("mean", g.mean.scalars)
            close("log_std", g.logStd.scalars)
            close("action", actions)
        }
    }

    func testCartPolePPO_categoricalMLP() throws {
        try check("cartpole_ppo", steps: 4096) { Float($0.nextUniform() * 6 - 3) }
    }

    func testPendulumPPO_gaussianWithNormalizerAndBounds() throws {
        try check("pendulum_ppo", steps: 8192) { Float($0.nextUniform() * 20 - 10) }
    }

    func testMinAtarBreakoutVTrace_convolutionalTorso() throws {
        try check("minatar_breakout_vtrace", steps: 2048) { $0.nextUniform() < 0.2 ? 1 : 0 }
    }

    /// The Nature DQN torso of the Atari configs (8×8 stride 4, 4×4 stride
    /// 2, 3×3, unpadded; inputs scaled by 1/255), untrained, on random frames.
    func testNatureTorso_stridesAndInputScale() throws {
        var settings = NetworkSettings.nature
        settings.inputScale = 1 / 255
        var rng = RandomGenerator(seed: 4)
        let network = ActorCritic(observationSize: 4 * 84 * 84, observationShape: [4, 84, 84], head: .categorical(classes: 6),
                                  settings: settings, using: &rng)
        let policy = ActorCriticPolicy(network: network, normalizer: nil, mapping: ActionMapping(space: nil, head: network.head))
        let model = scratch.appendingPathComponent("nature.onnx")
        try Data(policy.onnx(observationSize: 4 * 84 * 84, value: true).model(producerVersion: "test")).write(to: model)
        let frames = (0..<(100 * 4 * 84 * 84)).map { _ in Float(rng.next() % 256) }
        try compare(policy, model: model, frames, n: 4 * 84 * 84, label: "nature")
    }

    /// A state-dependent σ (softplus), a separate value torso, and one
    /// bounded and one unbounded action dimension.
    func testSoftplusStd_separateTorsos_partlyBoundedActions() throws {
        var settings = NetworkSettings()
        settings.standardDeviation = .softplus
        settings.initialStd = 0.5
        var rng = RandomGenerator(seed: 8)
        let network = ActorCritic(observationSize: 3, head: .gaussian(dimension: 2), settings: settings, using: &rng)
        let space = Space.box(low: [-2, -.infinity], high: [2, .infinity], shape: [2])
        let policy = ActorCriticPolicy(network: network, normalizer: nil, mapping: ActionMapping(space: space, head: network.head))
        let model = scratch.appendingPathComponent("softplus.onnx")
        try Data(policy.onnx(observationSize: 3, value: true).model(producerVersion: "test")).write(to: model)
        try compare(policy, model: model, (0..<30_000).map { _ in Float(rng.nextUniform() * 200 - 100) }, n: 3, label: "softplus")
    }

    func testPendulumSAC_squashedGaussianActor() throws {
        let (saved, model) = try trainAndExport("pendulum_sac", steps: 2048)
        let policy = try XCTUnwrap(try saved.policy(for: try saved.spaces()) as? SACPolicy)
        var rng = RandomGenerator(seed: 12)
        var observations = (0..<30_000).map { _ in Float(rng.nextUniform() * 20 - 10) }
        observations += try saved.onPolicyObservations(count: 10_000, seed: 99).flatMap { $0 }
        let rows = observations.count / 3
        let theirs = try onnxruntime(model, observations, rows: rows, n: 3)
        let (mean, logStd) = withoutGradients { policy.actor(try! Tensor(observations, shape: [rows, 3])) }
        let actions = try policy.acting(deterministic: true, seed: 0, device: .cpu)
            .act(ActingRows(environments: Array(0..<rows), observations: observations, episodeStarts: Array(repeating: false, count: rows),
                            previousRewards: Array(repeating: 0, count: rows), environmentCount: rows, observationSize: 3))
        assertClose(theirs, "mean", mean.scalars, label: "pendulum_sac")
        assertClose(theirs, "log_std", logStd.scalars, label: "pendulum_sac")
        assertClose(theirs, "action", actions, label: "pendulum_sac")
        XCTAssertNil(theirs["value"])
    }

    /// R2D2's LSTM with its previous action and reward inputs: the state
    /// goes in and comes out explicitly. Random rows (random states and
    /// previous inputs, −1 included), then a greedy episode's rows with the
    /// states Herd carried.
    func testCartPoleR2D2_recurrentStateAsInputsAndOutputs() throws {
        let (saved, model) = try trainAndExport("cartpole_r2d2", steps: 4096)
        let policy = try XCTUnwrap(try saved.policy(for: try saved.spaces()) as? QNetworkPolicy)
        let network = policy.network, n = 4, S = network.stateSize, A = network.actions
        var rng = RandomGenerator(seed: 13)
        var observations: [Float] = [], actions: [Int] = [], rewards: [Float] = [], states: [Float] = []
        for _ in 0..<10_000 {
            observations += (0..<n).map { _ in Float(rng.nextUniform() * 6 - 3) }
            actions.append(Int(rng.next() % UInt64(A + 1)) - 1)
            rewards.append(Float(rng.nextUniform() * 2 - 1))
            states += (0..<S).map { _ in Float(rng.nextUniform() * 2 - 1) }
        }
        // On-policy: the greedy policy in CartPole, its state carried step to step.
        let env = try EnvironmentRegistry.make("CartPole-v1")
        var observation = env.reset(seed: 5), state = [Float](repeating: 0, count: S), previous = -1, reward: Float = 0
        for _ in 0..<10_000 {
            observations += observation; actions.append(previous); rewards.append(reward); states += state
            let out = try withoutGradients {
                try network.unroll(R2D2Network.Inputs(steps: 1, batchSize: 1, observations: observation, previousActions: [previous],
                                                      previousRewards: [reward], resets: [0], initialState: state))
            }
            let q = out.q.scalars
            previous = q.indices.max { q[$0] < q[$1] }!
            state = out.state!.scalars
            let step = try env.step(previous)
            reward = Float(step.reward)
            if step.terminated || step.truncated {
                observation = env.reset(); state = [Float](repeating: 0, count: S); previous = -1; reward = 0
            } else {
                observation = step.observation
            }
        }
        let rows = actions.count
        let theirs = try onnxruntime(model, ["observation": .float(observations, shape: [rows, n]),
                                             "previous_action": .int64(actions, shape: [rows]),
                                             "previous_reward": .float(rewards, shape: [rows]), "state": .float(states, shape: [rows, S])])
        let ours = try withoutGradients {
            try network.unroll(R2D2Network.Inputs(steps: 1, batchSize: rows, observations: observations, previousActions: actions,
                                                  previousRewards: rewards, resets: Array(repeating: 0, count: rows), initialState: states))
        }
        assertClose(theirs, "q", ours.q.scalars, relative: true, label: "cartpole_r2d2")
        assertClose(theirs, "state_out", ours.state!.scalars, label: "cartpole_r2d2")
        let q = ours.q.scalars
        for row in 0..<rows {
            let values = Array(q[(row * A)..<((row + 1) * A)]), best = values.indices.max { values[$0] < values[$1] }!
            if Float(best) != theirs["action"]![row] {
                let sorted = values.sorted(by: >)
                XCTAssertLessThan(sorted[0] - sorted[1], 1e-4, "cartpole_r2d2: row \(row) acts differently")
            }
        }
    }

    /// `--int8`: the QDQ model against Herd's int8 arithmetic (DensePolicy),
    /// on random and on-policy observations.
    func checkInt8(_ config: String, steps: Int, random: (inout RandomGenerator) -> Float) throws {
        let (saved, _) = try trainAndExport(config, steps: steps)
        let model = scratch.appendingPathComponent("\(config)-int8.onnx")
        let exported = try runProcess(try herdExecutable(), ["export", scratch.appendingPathComponent(config).path, "--int8",
                                                             "--out", model.path])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let quantized = try saved.int8Policy()
        let n = quantized.observationSize
        var rng = RandomGenerator(seed: 17)
        let observations = (0..<5000).map { _ in (0..<n).map { _ in random(&rng) } } + (try saved.onPolicyObservations(count: 5000, seed: 3))
        let theirs = try onnxruntime(model, observations.flatMap { $0 }, rows: observations.count, n: n)
        let ours = observations.flatMap { quantized.act($0) }
        if case .categorical = quantized.head {
            let differing = zip(ours, theirs["action"]!).filter { $0 != $1 }.count
            print("\(config) int8: \(differing) of \(observations.count) actions differ from Herd's int8 arithmetic")
            XCTAssertLessThanOrEqual(differing, 10, "\(config): the int8 ONNX model acts differently on \(differing) rows")
        } else {
            // QDQ sums dequantised products in float where Herd sums int32
            // exactly, so a layer's input can land one quantisation step
            // apart: within 1% of the action range, not 1e-5.
            let differing = (0..<observations.count).filter { row in
                let d = quantized.actionSize
                return !quantized.sameAction(Array(ours[(row * d)..<((row + 1) * d)]), Array(theirs["action"]![(row * d)..<((row + 1) * d)]))
            }.count
            print("\(config) int8: \(differing) of \(observations.count) actions differ by over 1% of the range from Herd's int8 arithmetic")
            XCTAssertLessThanOrEqual(differing, 10)
        }
    }

    func testInt8QDQ_cartPoleAndPendulum() throws {
        try checkInt8("cartpole_ppo", steps: 4096) { Float($0.nextUniform() - 0.5) }
        try checkInt8("pendulum_ppo", steps: 8192) { Float($0.nextUniform() * 16 - 8) }
    }
}
