import Foundation
@testable import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class ReplayBufferTests: XCTestCase {
    /// Transition `id` encodes its id in every field, so a sampled row shows
    /// whether its parts stayed together.
    func addTransitions(_ ids: Range<Int>, to buffer: inout ReplayBuffer) {
        buffer.add(observations: ids.flatMap { [Float($0), Float($0) + 0.5] }, actions: ids.map { -Float($0) },
                   rewards: ids.map { 10 * Float($0) }, nextObservations: ids.flatMap { [Float($0) + 1, Float($0) + 1.5] },
                   terminations: ids.map { $0 % 3 == 0 })
    }


    func testReplayBuffer_overwritesFIFOAtCapacity_andSampledRowsStayTogether() {
        var buffer = ReplayBuffer(capacity: 5, observationSize: 2, actionSize: 1)
        addTransitions(0..<3, to: &buffer)
        XCTAssertEqual(buffer.count, 3)
        addTransitions(3..<8, to: &buffer)  // ids 0, 1, 2 are evicted; id k sits in slot k mod 5
        XCTAssertEqual(buffer.count, 5)
        XCTAssertEqual(buffer.inserted, 8)
        XCTAssertEqual(buffer.batch(slots: Array(0..<5)).rewards, [50, 60, 70, 30, 40])
        var rng = RandomGenerator(seed: 41)
        let batch = buffer.sample(200, using: &rng)
        XCTAssertEqual(batch.size, 200)
        var seen = Set<Int>()
        for i in 0..<batch.size {
            let id = Int(batch.rewards[i] / 10)
            seen.insert(id)
            let x = Float(id)
            XCTAssertEqual(Array(batch.observations[(2 * i)..<(2 * i + 2)]), [x, x + 0.5], "row \(i)")
            XCTAssertEqual(Array(batch.nextObservations[(2 * i)..<(2 * i + 2)]), [x + 1, x + 1.5], "row \(i)")
            XCTAssertEqual(batch.actions[i], -x, "row \(i)")
            XCTAssertEqual(batch.terminations[i], id % 3 == 0 ? 1 : 0, "row \(i)")
        }
        XCTAssertEqual(seen, Set(3..<8), "only the five newest transitions are stored, and all are drawn")
    }
}
