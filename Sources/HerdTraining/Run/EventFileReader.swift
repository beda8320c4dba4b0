import Foundation

/// Reads back what ``EventFileWriter`` writes, checking every CRC: the tests'
/// and `herd plot`'s view of an event file.
public struct EventRecord: Equatable, Sendable {
    public var wallTime: Double
    public var step: Int
    public var fileVersion: String?
    /// `true` for a `SessionLog` START.
    public var sessionStart: Bool
    public var scalars: [String: Double]
}

public enum EventFileReader {
    public static func read(_ url: URL) throws -> [EventRecord] {
        let data = [UInt8]((try? Data(contentsOf: url)) ?? Data())
        var records: [EventRecord] = []
        var offset = 0
        func fail(_ reason: String) -> RunError { .corrupt(path: url.path, reason: "record \(records.count): \(reason)") }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[at + $1]) << (8 * UInt32($1)) } }
        while offset < data.count {
            guard offset + 12 <= data.count else { throw fail("truncated header") }
            let lengthBytes = data[offset..<(offset + 8)]
            let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[offset + $1]) << (8 * UInt64($1)) }
            guard u32(offset + 8) == CRC32C.masked(CRC32C.checksum(lengthBytes)) else { throw fail("length CRC mismatch") }
            let start = offset + 12
            guard start + 4 <= data.count, length <= UInt64(data.count - start - 4) else { throw fail("truncated data") }
            let end = start + Int(length)
            guard u32(end) == CRC32C.masked(CRC32C.checksum(data[start..<end])) else { throw fail("data CRC mismatch") }
            records.append(try decodeEvent(Array(data[start..<end]), fail: fail))
            offset = end + 4
        }
        return records
    }

    static func decodeEvent(_ bytes: [UInt8], fail: (String) -> RunError) throws -> EventRecord {
        var event = EventRecord(wallTime: 0, step: 0, fileVersion: nil, sessionStart: false, scalars: [:])
        try ProtoReader(bytes).forEach(fail: fail) { field, value in
            switch (field, value) {
            case let (1, .fixed64(bits)): event.wallTime = Double(bitPattern: bits)
            case let (2, .varint(v)): event.step = Int(truncatingIfNeeded: v)
            case let (3, .bytes(b)): event.fileVersion = String(decoding: b, as: UTF8.self)
            case let (5, .bytes(summary)):
                try ProtoReader(summary).forEach(fail: fail) { f, v in
                    guard f == 1, case let .bytes(valueBytes) = v else { return }
                    var tag = "", simple: Float?
                    try ProtoReader(valueBytes).forEach(fail: fail) { f, v in
                        if f == 1, case let .bytes(b) = v { tag = String(decoding: b, as: UTF8.self) }
                        if f == 2, case let .fixed32(bits) = v { simple = Float(bitPattern: bits) }
                    }
                    if let simple { event.scalars[tag] = Double(simple) }
                }
            case let (7, .bytes(log)):
                try ProtoReader(log).forEach(fail: fail) { f, v in
                    if f == 1, case .varint(1) = v { event.sessionStart = true }
                }
            default: break
            }
        }
        return event
    }
}

/// A minimal protocol-buffer field walker.
struct ProtoReader {
    enum Value { case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8]) }
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func forEach(fail: (String) -> RunError, _ body: (Int, Value) throws -> Void) throws {
        var i = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw fail("bad varint") }
                let b = bytes[i]; i += 1
                result |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
            }
        }
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, i + n <= bytes.count else { throw fail("field runs past its message") }
            defer { i += n }
            return bytes[i..<(i + n)]
        }
        while i < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: try body(field, .varint(try varint()))
            case 1: try body(field, .fixed64(try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }))
            case 2: try body(field, .bytes(Array(try take(Int(try varint())))))
            case 5: try body(field, .fixed32(try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }))
            default: throw fail("unsupported wire type \(key & 7)")
            }
        }
    }
}
