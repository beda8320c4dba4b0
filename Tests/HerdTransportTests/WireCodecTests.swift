import Foundation
import HerdCore
import HerdTestSupport
import HerdTransport
import XCTest

final class WireCodecTests: XCTestCase {
    static let samples: [WireMessage] = [
        .hello(Hello(capacity: 64, pid: 4242, label: "host:4242 ✓")),
        .assign(Assign(workerIndex: 3, firstEnvironmentID: 192, environment: "gymnasium:Acrobot-v1",
                       settingsJSON: #"{"length":5}"#, seeds: [1, .max, 0])),
        .ready(Ready(environmentCount: 3, observationSize: 50, actionSize: 1, actionKind: 0, discreteActions: 3, observationShape: [1, 10, 5])),
        .reset,
        .actions(Actions(environmentCount: 2, actionSize: 2, values: [0.5, -1, .greatestFiniteMagnitude, -0.0])),
        .results(Results(environmentCount: 2, observationSize: 3, observations: [1, 2, 3, 4, 5, 6], rewards: [1, -0.1234567891234],
                         terminated: [true, false], truncated: [true, true],
                         finalObservations: [FinalObservation(index: 0, observation: [7, 8, 9]), FinalObservation(index: 1, observation: [0, 0, 1])])),
        .heartbeat,
        .goodbye,
        .error(WireError(code: .invalidAction, message: "CartPole-v1: action [5.0] is not in the action space Discrete(2)")),
        // Protocol v2's dtypes and encodings.
        .assign(Assign(workerIndex: 0, firstEnvironmentID: 0, environment: "Pendulum-v1", settingsJSON: "{}", seeds: [7],
                       observationEncoding: .bf16)),
        .ready(Ready(environmentCount: 2, observationSize: 400, actionSize: 1, actionKind: 0, discreteActions: 3,
                     observationShape: [4, 10, 10], observationDType: .u8)),
        .results(Results(environmentCount: 2, observationSize: 3, observations: ObservationBlock([0, 1, 255, 7, 0, 1], as: .u8),
                         rewards: [1, 0], terminated: [false, true], truncated: [false, false],
                         finalObservations: [FinalObservation(index: 1, observation: ObservationBlock([9, 9, 0], as: .u8))])),
        .results(Results(environmentCount: 1, observationSize: 2, observations: ObservationBlock([1.5, -0.3], as: .bf16),
                         rewards: [0.5], terminated: [true], truncated: [false],
                         finalObservations: [FinalObservation(index: 0, observation: ObservationBlock([3.25, .infinity], as: .bf16))])),
        // A picture for `herd eval --record` (kind 10).
        .frame(RenderedFrame(index: 0, height: 2, width: 3, pixels: Array(0..<18))),
        // A ready that declares its Box (CartPole's, with infinities where Gymnasium has f32's largest value).
        .ready(Ready(environmentCount: 2, observationSize: 4, actionSize: 1, actionKind: 0, discreteActions: 2, observationShape: [4],
                     observationBounds: ObservationBounds(low: [-4.8, -.infinity, -0.41887903, -.infinity],
                                                          high: [4.8, .infinity, 0.41887903, .infinity]))),
    ]

    /// `ready`'s optional bounds follow the shape as obs_size f32 lows, then
    /// highs; a bound pair that is not low ≤ high (or NaN, or a low of +∞) is
    /// an invalid field, and a partial one is truncated. An observation is
    /// judged against them element by element, bf16 with its rounding's slack.
    func testObservationBounds_layoutRejectionAndJudgement() throws {
        let ready = Ready(environmentCount: 1, observationSize: 2, actionSize: 1, actionKind: 0, discreteActions: 2, observationShape: [2])
        let plain = WireCodec.encode(.ready(ready), sequence: 0)
        var bounded = ready
        bounded.observationBounds = ObservationBounds(low: [-1, 0], high: [1, .infinity])
        let frame = WireCodec.encode(.ready(bounded), sequence: 0)
        XCTAssertEqual(Array(frame.prefix(plain.count)), plain, "the bounds come after everything else")
        XCTAssertEqual(Array(frame.dropFirst(plain.count)),
                       [0x00, 0x00, 0x80, 0xBF, 0, 0, 0, 0,  // low: -1, 0
                        0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x80, 0x7F])  // high: 1, +inf
        for (low, high) in [(Float(2), Float(1)), (.nan, 1), (0, .nan), (.infinity, .infinity), (-.infinity, -.infinity)] {
            var bad = ready
            bad.observationBounds = ObservationBounds(low: [low, 0], high: [high, 1])
            XCTAssertThrowsError(try WireCodec.decode(WireCodec.encode(.ready(bad), sequence: 0)), "\(low)...\(high)") { error in
                guard case .invalidField? = error as? ProtocolError else { return XCTFail("\(error)") }
            }
        }
        for cut in [Array(frame.dropLast(4)), frame + [0], plain + [0]] {
            XCTAssertThrowsError(try WireCodec.decode(cut)) { error in
                guard case .invalidField? = error as? ProtocolError else { return XCTFail("\(error)") }
            }
        }
        let box = try XCTUnwrap(bounded.observationBounds)
        XCTAssertNil(ObservationBlock([-1, 0, 1, 1e30, 0.5, 3], as: .f32).firstOutside(box))
        XCTAssertEqual(ObservationBlock([0, 0, 0, -0.001], as: .f32).firstOutside(box)?.index, 3)
        XCTAssertEqual(ObservationBlock([1.0001, 0], as: .f32).firstOutside(box)?.value, 1.0001)
        let cart = ObservationBounds(low: [-4.8], high: [4.8])
        XCTAssertNil(ObservationBlock([4.8, -4.8, 4.79], as: .bf16).firstOutside(cart), "±4.8 round to bf16 ±4.8125, as the bounds do")
        XCTAssertEqual(ObservationBlock([0, 4.9], as: .bf16).firstOutside(cart)?.index, 1, "4.9 rounds to 4.90625")
        XCTAssertEqual(ObservationBlock([-4.9], as: .bf16).firstOutside(cart)?.index, 0)
        let tiny = ObservationBounds(low: [0], high: [1e-39])
        XCTAssertNil(ObservationBlock([1e-39, -0.0, 0], as: .bf16).firstOutside(tiny), "a subnormal bound and -0 against a low of 0")
        XCTAssertNil(ObservationBlock([-0.0], as: .f32).firstOutside(tiny))
        let bytes = ObservationBounds(low: [0, 0], high: [1, 1])
        XCTAssertEqual(ObservationBlock([0, 1, 1, 2], as: .u8).firstOutside(bytes)?.index, 3)
    }

    func testRoundTrip_everyKind() throws {
        for (i, message) in Self.samples.enumerated() {
            let frame = WireCodec.encode(message, sequence: UInt64(1000 + i))
            let decoded = try WireCodec.decode(frame)
            XCTAssertEqual(decoded.message, message)
            XCTAssertEqual(decoded.sequence, UInt64(1000 + i))
        }
    }

    /// u8 and bf16 conversions: u8 rounds and clamps, bf16 rounds to
    /// nearest even (values worked out from the bit patterns) and keeps NaN,
    /// and both widen back to floats exactly.
    func testObservationBlock_conversions() {
        XCTAssertEqual(ObservationBlock([0, 1, 254.6, 300, -2, .nan], as: .u8).bytes, [0, 1, 255, 255, 0, 0])
        XCTAssertEqual(ObservationBlock([0, 1, 255], as: .u8).floats, [0, 1, 255])
        // 1 + 2⁻⁸ is halfway between bf16 neighbours 1 and 1 + 2⁻⁷: ties go to the even one (1);
        // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: to 1 + 2⁻⁶.
        let halfway: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-20, -2.5, .infinity]
        XCTAssertEqual(ObservationBlock(halfway, as: .bf16).floats, [1, 1 + 0x1p-6, 1 + 0x1p-7, -2.5, .infinity])
        XCTAssertTrue(ObservationBlock([.nan], as: .bf16).floats[0].isNaN)
        XCTAssertEqual(ObservationBlock([1.5, -0.25], as: .bf16).bytes, [0xC0, 0x3F, 0x80, 0xBE])
        XCTAssertEqual(ObservationBlock([1, 2, 3, 4], as: .u8).slice(1..<3).bytes, [2, 3])
    }

    /// A frame's size is bounded before its pixels are read, and its pixels
    /// must be exactly height × width × 3 bytes.
    func testFrame_limitsAndLength() throws {
        var limits = WireLimits.standard
        limits.maxFrameSide = 100
        let big = WireCodec.encode(.frame(RenderedFrame(index: 0, height: 101, width: 1, pixels: [UInt8](repeating: 0, count: 303))), sequence: 1)
        XCTAssertThrowsError(try WireCodec.decode(big, limits: limits)) { error in
            guard case .limitExceeded(field: "frame height", _, _)? = error as? ProtocolError else { return XCTFail("\(error)") }
        }
        let frame = WireCodec.encode(.frame(RenderedFrame(index: 0, height: 2, width: 2, pixels: [UInt8](repeating: 7, count: 12))), sequence: 1)
        XCTAssertThrowsError(try WireCodec.decode(Array(frame.dropLast())))
        XCTAssertThrowsError(try WireCodec.decode(frame + [0]))
        let empty = WireCodec.encode(.frame(RenderedFrame(index: 0, height: 0, width: 5, pixels: [])), sequence: 1)
        XCTAssertThrowsError(try WireCodec.decode(empty))
    }

    /// The byte layout of one message, written out by hand from PROTOCOL.md.
    func testLayout_matchesTheSpecification() {
        let frame = WireCodec.encode(.actions(Actions(environmentCount: 2, actionSize: 1, values: [1, 0.5])), sequence: 7)
        let expected: [UInt8] = [0x48, 0x45, 0x52, 0x44,  // "HERD"
                                 2, 0,  // version 2
                                 5, 0,  // kind 5 (actions), flags 0
                                 7, 0, 0, 0, 0, 0, 0, 0,  // sequence
                                 2, 0, 0, 0,  // environment count
                                 1, 0, 0, 0,  // action size
                                 0, 0, 0x80, 0x3F,  // 1.0f
                                 0, 0, 0, 0x3F]  // 0.5f
        XCTAssertEqual(frame, expected)
    }

    func assertRejected(_ bytes: [UInt8], _ expected: ProtocolError, limits: WireLimits = .standard, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try WireCodec.decode(bytes, limits: limits), file: file, line: line) { error in
            XCTAssertEqual(error as? ProtocolError, expected, file: file, line: line)
        }
    }

    func testRejection_everyMalformedShape() {
        let results = WireCodec.encode(Self.samples[5], sequence: 1)
        let header = Array(results.prefix(16))
        // Truncated anywhere.
        assertRejected(Array(results.prefix(10)), .truncated(needed: 16, available: 10))
        for cut in [17, 30, results.count - 1] {
            XCTAssertThrowsError(try WireCodec.decode(Array(results.prefix(cut)))) { error in
                guard case .truncated? = error as? ProtocolError else { return XCTFail("cut at \(cut): \(error)") }
            }
        }
        // Trailing bytes.
        assertRejected(results + [0], .trailingBytes(1))
        // Wrong magic, version, kind, flags.
        var bad = results
        bad[0] = 0x58
        assertRejected(bad, .badMagic)
        bad = results
        bad[4] = 3
        assertRejected(bad, .unsupportedVersion(3, kind: .results))
        bad[4] = 1
        assertRejected(bad, .unsupportedVersion(1, kind: .results))
        bad = results
        bad[6] = 42
        assertRejected(bad, .unknownKind(42))
        bad = results
        bad[7] = 1
        assertRejected(bad, .invalidField("header flags must be 0, got 1"))
        // Oversized: counts beyond the limits, before anything is allocated.
        var limits = WireLimits()
        limits.maxEnvironments = 1
        assertRejected(results, .limitExceeded(field: "environment count", value: 2, limit: 1), limits: limits)
        assertRejected(header.replacing(kind: 5) + le(UInt32.max) + le(UInt32(1)), .limitExceeded(field: "environment count", value: Int(UInt32.max), limit: 65_536))
        limits = WireLimits()
        limits.maxMessageBytes = 20
        assertRejected(results, .limitExceeded(field: "message bytes", value: results.count, limit: 20), limits: limits)
        // Lengths that disagree: actions declaring 3 × 1 values but carrying 2.
        let actions = WireCodec.encode(.actions(Actions(environmentCount: 3, actionSize: 1, values: [1, 2, 3])), sequence: 1)
        XCTAssertThrowsError(try WireCodec.decode(Array(actions.dropLast(4)))) { error in
            guard case .truncated? = error as? ProtocolError else { return XCTFail("\(error)") }
        }
        // A ready whose shape does not multiply to its size.
        var ready = WireCodec.encode(Self.samples[2], sequence: 1)
        ready[20] = 49  // observation size 49, shape 1 × 10 × 5
        assertRejected(ready, .shapeMismatch(field: "observation shape product", expected: 49, found: 50))
        // Results: a final observation for an environment whose episode did not end,
        // or beyond the environment count; bad flag bits.
        let notEnded = Results(environmentCount: 1, observationSize: 1, observations: [1], rewards: [0], terminated: [false], truncated: [false],
                               finalObservations: [FinalObservation(index: 0, observation: [2])])
        assertRejected(WireCodec.encode(.results(notEnded), sequence: 1), .invalidField("final observation for environment 0, whose episode did not end"))
        var outOfRange = WireCodec.encode(.results(Results(environmentCount: 1, observationSize: 1, observations: [1], rewards: [0],
                                                           terminated: [true], truncated: [false],
                                                           finalObservations: [FinalObservation(index: 0, observation: [2])])), sequence: 1)
        outOfRange[16 + 9 + 4 + 8 + 1 + 4] = 5  // the final observation's index
        assertRejected(outOfRange, .invalidField("final observation index 5 of 1 environments"))
        var flags = WireCodec.encode(.results(notEnded), sequence: 1)
        flags[16 + 9 + 4 + 8] = 4
        XCTAssertThrowsError(try WireCodec.decode(flags))
        // v2: an unknown dtype or encoding byte; a final observation sent twice.
        var dtype = WireCodec.encode(.results(notEnded), sequence: 1)
        dtype[16 + 8] = 3
        assertRejected(dtype, .invalidField("observation dtype 3 (0 f32, 1 u8, 2 bf16)"))
        var readyDType = WireCodec.encode(Self.samples[2], sequence: 1)
        readyDType[24] = 9
        assertRejected(readyDType, .invalidField("observation dtype 9 (0 f32, 1 u8, 2 bf16)"))
        var assign = WireCodec.encode(Self.samples[1], sequence: 0)
        assign[assign.count - 1] = 3
        assertRejected(assign, .invalidField("observation encoding 3 (0 native, 1 bf16, 2 f32)"))
        let twice = Results(environmentCount: 2, observationSize: 1, observations: ObservationBlock([1, 2], as: .u8), rewards: [0, 0],
                            terminated: [true, true], truncated: [false, false],
                            finalObservations: [FinalObservation(index: 1, observation: ObservationBlock([3], as: .u8)),
                                                FinalObservation(index: 1, observation: ObservationBlock([4], as: .u8))])
        assertRejected(WireCodec.encode(.results(twice), sequence: 1), .invalidField("final observation for environment 1 sent twice"))
        // A u8 frame's byte count is its element count: one byte short is truncated.
        let u8Frame = WireCodec.encode(Self.samples[11], sequence: 1)
        XCTAssertThrowsError(try WireCodec.decode(Array(u8Frame.dropLast()))) { error in
            guard case .truncated? = error as? ProtocolError else { return XCTFail("\(error)") }
        }
        // Text that is not UTF-8; an unknown error code.
        var hello = WireCodec.encode(.hello(Hello(capacity: 1, pid: 1, label: "ab")), sequence: 0)
        hello[hello.count - 1] = 0xFF
        assertRejected(hello, .invalidField("label is not UTF-8"))
        var error = WireCodec.encode(.error(WireError(code: .badMessage, message: "x")), sequence: 0)
        error[16] = 77
        assertRejected(error, .invalidField("error code 77"))
    }

    /// Random bytes and random mutations of valid frames never crash the
    /// decoder: each input decodes or throws a ProtocolError (seeded, 200k inputs).
    func testFuzz_randomBytesNeverCrashTheDecoder() {
        var rng = RandomGenerator(seed: 2026)
        let valid = Self.samples.map { WireCodec.encode($0, sequence: 9) }
        var decoded = 0
        for iteration in 0..<200_000 {
            var bytes: [UInt8]
            if iteration % 2 == 0 {
                bytes = (0..<Int(rng.next() % 96)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if iteration % 4 == 0, bytes.count >= 8 { bytes.replaceSubrange(0..<4, with: WireCodec.magic); bytes[4] = 2; bytes[5] = 0 }
            } else {
                bytes = valid[Int(rng.next() % UInt64(valid.count))]
                for _ in 0..<(1 + Int(rng.next() % 3)) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                if rng.next() % 3 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count))) }
            }
            do {
                _ = try WireCodec.decode(bytes)
                decoded += 1
            } catch is ProtocolError {
            } catch {
                XCTFail("unexpected error \(error)")
            }
        }
        XCTAssertGreaterThan(decoded, 0, "some mutations (of data bytes) still decode")
    }

    private func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

private extension Array where Element == UInt8 {
    func replacing(kind: UInt8) -> [UInt8] {
        var copy = self
        copy[6] = kind
        return copy
    }
}
