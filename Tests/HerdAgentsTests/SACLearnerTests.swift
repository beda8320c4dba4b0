import Foundation
@testable import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class SACLearnerTests: XCTestCase {
    /// A one-step bandit: every transition terminates, reward −a².
    func banditBatch(size: Int, seed: UInt64) -> SACBatch {
        var rng = RandomGenerator(seed: seed)
        let actions = (0..<size).map { _ in Float(rng.nextUniform() * 2 - 1) }
        let observations = (0..<(2 * size)).map { _ in Float(rng.nextUniform() * 2 - 1) }
        return SACBatch(size: size, observationSize: 2, actionSize: 1, observations: observations, actions: actions,
                        rewards: actions.map { -$0 * $0 }, nextObservations: observations.map { -$0 },
                        terminations: [Float](repeating: 1, count: size))
    }

    func smallSettings() -> SACSettings {
        var settings = SACSettings()
        settings.hiddenSizes = [16, 16]
        settings.learningRate = 1e-3
        return settings
    }

    func testLearner_banditUpdates_areFinite_andTargetsMoveTowardOnlineByTau() throws {
        let learner = try SACLearner(observationSize: 2, actionSize: 1, settings: smallSettings(), seed: 7)
        func scalars(_ layers: [SACQNetwork]) -> [[Float]] { layers.flatMap { $0.parameters.map(\.scalars) } }
        XCTAssertEqual(scalars([learner.q1Target, learner.q2Target]), scalars([learner.q1, learner.q2]), "targets start as copies")
        let batch = banditBatch(size: 32, seed: 8)
        let tau = learner.settings.tau
        var statistics: [SACStepStatistics] = []
        for update in 0..<100 {
            let before = scalars([learner.q1Target, learner.q2Target])
            let stats = try learner.update(batch)
            statistics.append(stats)
            XCTAssertFalse(stats.skipped)
            let values = [stats.criticLoss, stats.actorLoss, stats.alphaLoss, stats.alpha, stats.entropy, stats.meanQ,
                          stats.criticGradientNorm, stats.actorGradientNorm, stats.alphaGradientNorm]
            XCTAssertTrue(values.allSatisfy(\.isFinite), "update \(update): \(stats)")
            if update < 3 {
                let online = scalars([learner.q1, learner.q2])
                for (k, (after, old)) in zip(scalars([learner.q1Target, learner.q2Target]), before).enumerated() {
                    assertClose(after, zip(old, online[k]).map { (1 - tau) * $0 + tau * $1 }, atol: 1e-6, "parameter \(k)")
                }
            }
        }
        XCTAssertEqual(learner.updates, 100)
        XCTAssertEqual(statistics[0].alpha, 1, accuracy: 1e-6, "α starts at 1")
        XCTAssertNotEqual(try learner.alpha(), 1, "α is learned")
        // Every target is the reward (all transitions terminate): a fixed regression whose loss must fall.
        XCTAssertLessThan(statistics[99].criticLoss, statistics[0].criticLoss)

        let observations = Array(batch.observations.prefix(8))
        let sampled = try learner.act(observations)
        XCTAssertEqual(sampled.count, 4)
        XCTAssertTrue(sampled.allSatisfy { $0 >= -1 && $0 <= 1 })
        XCTAssertEqual(try learner.act(observations, deterministic: true), try learner.act(observations, deterministic: true))
    }

    func testLearner_fixedAlpha_staysFixed_andANaNRewardSkipsTheUpdate() throws {
        var settings = smallSettings()
        settings.entropyCoefficient = 0.2
        let learner = try SACLearner(observationSize: 2, actionSize: 1, settings: settings, seed: 9)
        XCTAssertNil(learner.logAlpha)
        XCTAssertNil(learner.alphaOptimizer)
        var batch = banditBatch(size: 8, seed: 10)
        XCTAssertEqual(try learner.update(batch).alpha, 0.2, accuracy: 1e-6)
        batch.rewards[3] = .nan
        let before = learner.q1.parameters.map(\.scalars)
        let stats = try learner.update(batch)
        XCTAssertTrue(stats.skipped)
        XCTAssertEqual(learner.updates, 1)
        XCTAssertEqual(learner.nonFinite.skipped, 1)
        XCTAssertEqual(learner.q1.parameters.map(\.scalars), before, "no step from a NaN loss")
    }

    /// gSDE's log σ matrix moves to the learner's device with the rest of
    /// the actor (it stayed on the host once, and the first product mixed
    /// devices).
    func testLearner_withStateDependentNoise_runsOnASimulatedAccelerator() throws {
        let profile = DeviceProfile(name: "test-gpu", description: "test", memoryBytes: 64 << 20, memoryBytesPerSecond: 1e12,
                                    linkBytesPerSecond: 16e9, transferLatencySeconds: 10e-6, launchLatencySeconds: 5e-6,
                                    matrixUnitRows: 16, matrixUnitColumns: 16, peakMatrixOpsPerSecond: ["fp32": 20e12],
                                    peakVectorOpsPerSecond: 1e12, defaultPrecision: .fp32)
        let device = Device.accelerator(profile)
        var settings = smallSettings()
        settings.useSDE = true
        let learner = try SACLearner(observationSize: 2, actionSize: 1, settings: settings, device: device, seed: 3)
        XCTAssertTrue(learner.actor.parameters.allSatisfy { $0.device === device }, "every actor parameter is on the device")
        let statistics = try learner.update(banditBatch(size: 32, seed: 1))
        XCTAssertFalse(statistics.skipped)
        XCTAssertTrue(try learner.act([0.5, -0.5]).allSatisfy { abs($0) <= 1 })
    }
}
