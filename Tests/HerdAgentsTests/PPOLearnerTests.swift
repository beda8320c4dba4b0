import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class PPOLearnerTests: XCTestCase {
    /// One-step episodes from a constant observation; `reward(action)` scores each.
    func train(_ learner: PPOLearner, updates: Int, batch: Int, reward: ([Float]) -> Float) throws -> [PPOUpdateStatistics] {
        let width = learner.head.actionSize
        var stats: [PPOUpdateStatistics] = []
        for u in 0..<updates {
            var rollout = Rollout(steps: 1, batchSize: batch, observationSize: 1, head: learner.head)
            let observations = [Float](repeating: 1, count: batch)
            let step = try learner.act(observations)
            rollout.observations = ObservationRows(observations)
            rollout.actions = step.actions
            rollout.logProbabilities = step.logProbabilities
            rollout.distributionParameters = step.distributionParameters
            rollout.values = step.values + [Float](repeating: 0, count: batch)
            rollout.rewards = (0..<batch).map { reward(Array(step.actions[($0 * width)..<(($0 + 1) * width)])) }
            rollout.discounts = [Float](repeating: 0, count: batch)
            stats.append(try learner.update(rollout, progress: Double(u) / Double(updates)))
        }
        return stats
    }

    func testPPO_categoricalBandit_learnsTheRewardedAction() throws {
        var settings = PPOSettings()
        settings.epochs = 4
        settings.minibatches = 2
        settings.learningRate = 3e-3
        let learner = try PPOLearner(observationSize: 1, head: .categorical(classes: 3), network: NetworkSettings(),
                                     settings: settings, seed: 5)
        let before = try learner.act([Float](repeating: 1, count: 256)).actions.filter { $0 == 2 }.count
        let stats = try train(learner, updates: 30, batch: 64) { $0[0] == 2 ? 1 : 0 }
        let after = try learner.act([Float](repeating: 1, count: 256)).actions.filter { $0 == 2 }.count
        XCTAssertLessThan(before, 140, "starts near uniform")
        XCTAssertGreaterThan(after, 230, "after training almost always picks action 2")
        XCTAssertEqual(stats.last?.gradientSteps, 8)
        XCTAssertTrue(stats.allSatisfy { $0.kl.isFinite && $0.kl >= -1e-6 })
    }

    func testPPO_gaussianBandit_movesTheMeanToTheOptimum_withKLPenalty() throws {
        var settings = PPOSettings()
        settings.objective = .klPenalty
        settings.epochs = 8
        settings.learningRate = 1e-2
        settings.annealLearningRate = false
        let learner = try PPOLearner(observationSize: 1, head: .gaussian(dimension: 1), network: NetworkSettings(),
                                     settings: settings, seed: 6)
        let stats = try train(learner, updates: 150, batch: 128) { -($0[0] - 0.5) * ($0[0] - 0.5) }
        let mean = try learner.act([1], deterministic: true).actions[0]
        XCTAssertEqual(Double(mean), 0.5, accuracy: 0.1)
        let penalties = Set(stats.map(\.klPenalty))
        XCTAssertGreaterThan(penalties.count, 1, "the adaptive penalty changed")
    }

    func testPPO_sameSeed_sameUpdates() throws {
        func run() throws -> [Double] {
            let learner = try PPOLearner(observationSize: 1, head: .categorical(classes: 2), network: NetworkSettings(),
                                         settings: PPOSettings(), seed: 9)
            return try train(learner, updates: 3, batch: 32) { $0[0] }.map(\.policyLoss)
        }
        XCTAssertEqual(try run(), try run())
    }
}

final class PPOPixelInputTests: XCTestCase {
    /// u8 pixels given as bytes act exactly as the same values given as
    /// floats (the conversion is exact), and cross a simulated device's link
    /// at a quarter of the bytes.
    func testBytes_actAsFloats_andCrossTheLinkAtAQuarter() throws {
        let profile = DeviceProfile(name: "test-gpu", description: "test", memoryBytes: 64 << 20, memoryBytesPerSecond: 1e12,
                                    linkBytesPerSecond: 16e9, transferLatencySeconds: 10e-6, launchLatencySeconds: 5e-6,
                                    matrixUnitRows: 16, matrixUnitColumns: 16, peakMatrixOpsPerSecond: ["fp32": 20e12],
                                    peakVectorOpsPerSecond: 1e12, defaultPrecision: .fp32)
        var network = NetworkSettings.minAtar
        network.inputScale = 1
        let shape = [4, 10, 10], size = 400, rows = 8
        var pixels = RandomGenerator(seed: 3)
        let bytes = (0..<(rows * size)).map { _ in UInt8(pixels.nextUniform() < 0.2 ? 1 : 0) }
        var sent: [ObservationRows.ElementType: Int] = [:]
        var steps: [PolicyStep] = []
        for rowsOf in [ObservationRows(bytes: bytes), ObservationRows(bytes.map(Float.init))] {
            let device = Device.accelerator(profile)
            let learner = try PPOLearner(observationSize: size, observationShape: shape, head: .categorical(classes: 6),
                                         network: network, settings: PPOSettings(), device: device, seed: 9)
            device.resetCounters()
            steps.append(try learner.act(rowsOf))
            sent[rowsOf.elementType] = device.counters.bytesToDevice
        }
        XCTAssertEqual(steps[0].actions, steps[1].actions)
        XCTAssertEqual(steps[0].logProbabilities, steps[1].logProbabilities)
        XCTAssertEqual(steps[0].values, steps[1].values)
        let floatBytes = try XCTUnwrap(sent[.float32]), byteBytes = try XCTUnwrap(sent[.uint8])
        XCTAssertEqual(floatBytes - byteBytes, 3 * rows * size, "the observations cross at 1 byte per value, not 4")
    }
}
