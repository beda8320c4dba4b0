import Foundation
@testable import HerdTraining
import HerdEnvironments
import HerdTestSupport
import XCTest

/// Herd's GIF encoder against Pillow's decoder: frames of at most 256
/// colours come back exactly, LZW table resets included; others as the
/// 6 × 6 × 6 cube and greys they are reduced to.
final class GIFWriterTests: XCTestCase {
    /// Pillow's RGB frames of a GIF, back to back.
    func decoded(_ data: Data) throws -> [UInt8] {
        let python = try pythonWith(["PIL"])
        let directory = try temporaryDirectory()
        let gif = directory.appendingPathComponent("t.gif"), raw = directory.appendingPathComponent("t.raw")
        try data.write(to: gif)
        let script = """
        import sys
        from PIL import Image, ImageSequence
        with open(sys.argv[2], "wb") as out:
            for frame in ImageSequence.Iterator(Image.open(sys.argv[1])):
                out.write(frame.convert("RGB").tobytes())
        """
        let result = try runPython(python, script, [gif.path, raw.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try [UInt8](Data(contentsOf: raw))
    }

    func image(width: Int, height: Int, seed: UInt64, colors: Int?) -> RGBImage {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        let palette = (0..<(colors ?? 0)).map { _ in RGB(UInt8(next() & 255), UInt8(next() & 255), UInt8(next() & 255)) }
        var pixels: [UInt8] = []
        for _ in 0..<(width * height) {
            if colors != nil {
                let c = palette[Int(next() % UInt64(palette.count))]
                pixels += [c.r, c.g, c.b]
            } else {
                pixels += [UInt8(next() & 255), UInt8(next() & 255), UInt8(next() & 255)]
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func testFramesOfFewColours_decodeExactly() throws {
        // Random indices defeat the LZW dictionary, so a 300 × 200 frame of 256
        // colours fills the 4,096-code table many times over; 2 and 17
        // colours exercise small code sizes and a palette padded to 32.
        let frames = [image(width: 300, height: 200, seed: 1, colors: 256), image(width: 300, height: 200, seed: 2, colors: 2),
                      image(width: 300, height: 200, seed: 3, colors: 17), RGBImage(width: 300, height: 200, color: RGB(1, 2, 3))]
        var writer = GIFWriter(width: 300, height: 200, framesPerSecond: 30)
        for frame in frames { writer.add(frame) }
        XCTAssertEqual(try decoded(writer.finished()), frames.flatMap(\.pixels))
    }

    func testFramesOfManyColours_areReducedToTheCube() throws {
        let frame = image(width: 64, height: 48, seed: 9, colors: nil)
        var writer = GIFWriter(width: 64, height: 48, framesPerSecond: 10)
        writer.add(frame)
        let back = try decoded(writer.finished())
        XCTAssertEqual(back.count, frame.pixels.count)
        let worst = zip(back, frame.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 26, "each channel within half a cube step (51 / 2)")
    }

    func testLZW_ofAKnownInput() {
        // Indices 0 1 0 1 0 1 with a minimum code size of 2: clear (4), 0, 1,
        // the new code 6 for "0 1", 6 again, end (5). A decoder adds the
        // entries 6 and 7 on reading the second and third codes, reaches 8
        // = 2³ and reads from then on 4 bits wide: widths 3 3 3 3 4 4,
        // packed least significant bit first.
        let codes = [(4, 3), (0, 3), (1, 3), (6, 3), (6, 4), (5, 4)]
        var bits = 0, count = 0, bytes: [UInt8] = []
        for (code, width) in codes {
            bits |= code << count
            count += width
            while count >= 8 { bytes.append(UInt8(bits & 255)); bits >>= 8; count -= 8 }
        }
        if count > 0 { bytes.append(UInt8(bits & 255)) }
        XCTAssertEqual(GIFWriter.lzw([0, 1, 0, 1, 0, 1], minimumCodeSize: 2), bytes)
    }

    /// A strict LZW decoder, as GIF89a specifies it: the stream must hold a
    /// clear code first, every code at the width the decoder expects, and
    /// the end code, at its width, right after the last pixel's code.
    func strictlyDecoded(_ bytes: [UInt8], minimumCodeSize: Int) -> [UInt8]? {
        let clear = 1 << minimumCodeSize, end = clear + 1
        var position = 0, width = minimumCodeSize + 1
        func read() -> Int? {
            guard position + width <= bytes.count * 8 else { return nil }
            var code = 0
            for b in 0..<width where bytes[(position + b) / 8] >> ((position + b) % 8) & 1 == 1 { code |= 1 << b }
            position += width
            return code
        }
        var table: [[UInt8]] = [], previous: [UInt8]? = nil, out: [UInt8] = []
        func reset() {
            table = (0..<clear).map { [UInt8($0)] } + [[], []]
            width = minimumCodeSize + 1
            previous = nil
        }
        guard read() == clear else { return nil }
        reset()
        while let code = read() {
            if code == end { return (bytes.count * 8 - position) < 8 ? out : nil }
            if code == clear { reset(); continue }
            let entry: [UInt8]
            if code < table.count, code != clear, code != end {
                entry = table[code]
            } else if code == table.count, let previous {
                entry = previous + [previous[0]]
            } else {
                return nil
            }
            if let previous, table.count < 4096 { table.append(previous + [entry[0]]) }
            if table.count == (1 << width) && width < 12 { width += 1 }
            out += entry
            previous = entry
        }
        return nil
    }

    func testLZW_decodesStrictly_endCodeAtItsWidth() {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        for minimum in 2...8 {
            for length in [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 5000, 20000] {
                for palette in [2, 3, 1 << minimum] {
                    let indices = (0..<length).map { _ in UInt8(next() % UInt64(min(palette, 1 << minimum))) }
                    let stream = GIFWriter.lzw(indices, minimumCodeSize: minimum)
                    XCTAssertEqual(strictlyDecoded(stream, minimumCodeSize: minimum), indices,
                                   "minimum code size \(minimum), \(length) indices of \(palette) values")
                }
            }
        }
    }
}
