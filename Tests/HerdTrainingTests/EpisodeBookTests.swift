import HerdTraining
import XCTest

final class EpisodeBookTests: XCTestCase {
    func testEpisodes_endOnDone_perEnvironment() {
        var book = EpisodeBook(environments: 2)
        book.record(index: 0, reward: 1, done: false)
        book.record(index: 1, reward: 5, done: false)
        book.record(index: 0, reward: 2, done: true)
        XCTAssertEqual(book.finishedReturns, [3])
        XCTAssertEqual(book.finishedLengths, [2])
        book.record(index: 1, reward: 1, done: true)
        let drained = book.drain()
        XCTAssertEqual(drained?.count, 2)
        XCTAssertEqual(drained?.meanReturn, 4.5)
        XCTAssertEqual(drained?.meanLength, 2)
        XCTAssertNil(book.drain())
        XCTAssertEqual(book.totalEpisodes, 2)
        XCTAssertEqual(book.recentMeanReturn, 4.5)
    }

    /// A replaced worker's interrupted episode is dropped, not merged into
    /// the next one (the bug a V-trace run on Catch showed as episodes
    /// longer than Catch's 9 steps) and not counted.
    func testRestart_dropsTheEpisodeInProgress() {
        var book = EpisodeBook(environments: 1)
        for _ in 0..<4 { book.record(index: 0, reward: 1, done: false) }
        book.restart(index: 0)
        for step in 0..<9 { book.record(index: 0, reward: 1, done: step == 8) }
        XCTAssertEqual(book.finishedLengths, [9])
        XCTAssertEqual(book.finishedReturns, [9])
        XCTAssertEqual(book.interruptedEpisodes, 1)
        book.restart(index: 0)
        XCTAssertEqual(book.interruptedEpisodes, 1, "nothing was in progress")
    }
}
