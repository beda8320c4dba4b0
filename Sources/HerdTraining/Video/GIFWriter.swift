import Foundation
import HerdEnvironments

/// Writes an animated GIF (GIF89a, W3C/CompuServe 1990) frame by frame,
/// with no library: each frame carries its own colour table (exact when the
/// frame has at most 256 colours, as Herd's drawings do; else a 6×6×6 cube
/// plus 40 greys), is LZW-compressed, and loops forever (the NETSCAPE2.0
/// application extension).
struct GIFWriter {
    private(set) var data = Data()
    let width: Int
    let height: Int
    /// Frame delay in hundredths of a second (GIF's unit).
    let delay: Int

    init(width: Int, height: Int, framesPerSecond: Double) {
        precondition(width > 0 && width <= 0xFFFF && height > 0 && height <= 0xFFFF)
        self.width = width
        self.height = height
        delay = min(0xFFFF, max(2, Int((100 / framesPerSecond).rounded())))
        data.append(contentsOf: Array("GIF89a".utf8))
        appendU16(width)
        appendU16(height)
        data.append(contentsOf: [0x00, 0, 0])                          // no global colour table
        data.append(contentsOf: [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00])
    }

    mutating func add(_ image: RGBImage) {
        precondition(image.width == width && image.height == height, "every frame of a GIF has its size")
        let (palette, indices) = Self.indexed(image)
        var bits = 1                                                   // table size 2^bits
        while (1 << bits) < palette.count { bits += 1 }
        data.append(contentsOf: [0x21, 0xF9, 0x04, 0x04])              // graphic control: dispose to none (1 << 2)
        appendU16(delay)
        data.append(contentsOf: [0x00, 0x00])
        data.append(0x2C)                                              // image descriptor
        appendU16(0); appendU16(0); appendU16(width); appendU16(height)
        data.append(0x80 | UInt8(bits - 1))                            // local colour table
        for i in 0..<(1 << bits) {
            let c = i < palette.count ? palette[i] : .black
            data.append(contentsOf: [c.r, c.g, c.b])
        }
        let minimumCodeSize = max(2, bits)
        data.append(UInt8(minimumCodeSize))
        let compressed = Self.lzw(indices, minimumCodeSize: minimumCodeSize)
        var offset = 0
        while offset < compressed.count {
            let n = min(255, compressed.count - offset)
            data.append(UInt8(n))
            data.append(contentsOf: compressed[offset..<(offset + n)])
            offset += n
        }
        data.append(0x00)
    }

    /// The file's bytes, with the trailer.
    func finished() -> Data { data + [0x3B] }

    private mutating func appendU16(_ v: Int) { data.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8)]) }

    /// A palette and one index per pixel.
    static func indexed(_ image: RGBImage) -> (palette: [RGB], indices: [UInt8]) {
        var table: [RGB: UInt8] = [:], palette: [RGB] = []
        var indices = [UInt8](repeating: 0, count: image.width * image.height)
        var exact = true
        image.pixels.withUnsafeBufferPointer { p in
            var last = RGB(p[0], p[1], p[2]), lastIndex: UInt8 = 0
            table[last] = 0
            palette.append(last)
            for i in indices.indices {
                let c = RGB(p[3 * i], p[3 * i + 1], p[3 * i + 2])
                if c == last { indices[i] = lastIndex; continue }
                if let k = table[c] { indices[i] = k; (last, lastIndex) = (c, k); continue }
                guard palette.count < 256 else { exact = false; return }
                table[c] = UInt8(palette.count)
                indices[i] = UInt8(palette.count)
                (last, lastIndex) = (c, UInt8(palette.count))
                palette.append(c)
            }
        }
        if exact { return (palette, indices) }
        // 6 levels per channel (0, 51, …, 255), then greys between them.
        palette = (0..<216).map { (i: Int) -> RGB in RGB(UInt8(i / 36 * 51), UInt8(i / 6 % 6 * 51), UInt8(i % 6 * 51)) }
        for level in 1...40 {
            let grey = UInt8(level * 255 / 41)
            palette.append(RGB(grey, grey, grey))
        }
        image.pixels.withUnsafeBufferPointer { p in
            for i in indices.indices {
                let r = Int(p[3 * i]), g = Int(p[3 * i + 1]), b = Int(p[3 * i + 2])
                if abs(r - g) < 8 && abs(g - b) < 8 {
                    let grey = (r + g + b) / 3, level = min(40, max(1, (grey * 41 + 127) / 255))
                    if abs(level * 255 / 41 - grey) < abs((grey + 25) / 51 * 51 - grey) {
                        indices[i] = UInt8(215 + level)
                        continue
                    }
                }
                indices[i] = UInt8((r + 25) / 51 * 36 + (g + 25) / 51 * 6 + (b + 25) / 51)
            }
        }
        return (palette, indices)
    }

    /// GIF's variable-width LZW: codes packed least significant bit first,
    /// a clear code first and whenever the 4,096-code table fills, an end
    /// code last. The code width grows one code late, as decoders expect
    /// (they add each table entry a code after the encoder).
    static func lzw(_ indices: [UInt8], minimumCodeSize: Int) -> [UInt8] {
        let clear = 1 << minimumCodeSize, end = clear + 1
        var out: [UInt8] = [], buffer = 0, filled = 0
        var codeSize = minimumCodeSize + 1
        func emit(_ code: Int) {
            buffer |= code << filled
            filled += codeSize
            while filled >= 8 {
                out.append(UInt8(buffer & 0xFF))
                buffer >>= 8
                filled -= 8
            }
        }
        // (prefix << 8 | index) → code + 1, 0 for none; entries are cleared
        // by the codes that set them when the table starts over.
        var table = [Int32](repeating: 0, count: 4096 << 8), used: [Int] = []
        used.reserveCapacity(4096)
        var next = end + 1
        emit(clear)
        guard var prefix = indices.first.map(Int.init) else {
            emit(end)
            if filled > 0 { out.append(UInt8(buffer & 0xFF)) }
            return out
        }
        for k in indices.dropFirst() {
            let key = prefix << 8 | Int(k)
            let code = table[key]
            if code != 0 { prefix = Int(code) - 1; continue }
            emit(prefix)
            table[key] = Int32(next + 1)
            used.append(key)
            next += 1
            if next > (1 << codeSize) && codeSize < 12 { codeSize += 1 }
            if next == 4096 {
                emit(clear)
                for key in used { table[key] = 0 }
                used.removeAll(keepingCapacity: true)
                next = end + 1
                codeSize = minimumCodeSize + 1
            }
            prefix = Int(k)
        }
        emit(prefix)
        // A decoder adds its entry for that last code and may widen before the end code.
        if next == (1 << codeSize) && codeSize < 12 { codeSize += 1 }
        emit(end)
        if filled > 0 { out.append(UInt8(buffer & 0xFF)) }
        return out
    }
}
