import Foundation

/// Encodes and decodes protocol v2 frames: a 16-byte header then the body,
/// every number little-endian.
///
///     magic "HERD" (4) | version u16 = 2 | kind u8 | flags u8 = 0 | sequence u64
///
/// `sequence` pairs requests and replies: `results` carry the sequence of the
/// `reset` or `actions` they answer.
public enum WireCodec {
    public static let magic: [UInt8] = Array("HERD".utf8)
    public static let version: UInt16 = 2
    public static let headerSize = 16

    // MARK: Encoding

    /// The frame for `message` with `sequence`. `version` other than the
    /// current one is for `error` and `goodbye` only (their bodies are the
    /// same in every version): the refusal a peer of an older version can read.
    public static func encode(_ message: WireMessage, sequence: UInt64, version: UInt16 = WireCodec.version) -> [UInt8] {
        var w = ByteWriter()
        w.bytes(magic)
        w.u16(version)
        w.u8(message.kind.rawValue)
        w.u8(0)
        w.u64(sequence)
        switch message {
        case let .hello(h):
            w.u32(h.capacity)
            w.u32(h.pid)
            w.text16(h.label)
        case let .assign(a):
            w.u32(a.workerIndex)
            w.u32(a.firstEnvironmentID)
            w.u32(UInt32(a.seeds.count))
            for seed in a.seeds { w.u64(seed) }
            w.text16(a.environment)
            w.text32(a.settingsJSON)
            w.u8(a.observationEncoding.rawValue)
        case let .ready(r):
            w.u32(r.environmentCount)
            w.u32(r.observationSize)
            w.u8(r.observationDType.rawValue)
            w.u32(r.actionSize)
            w.u8(r.actionKind)
            w.u32(r.discreteActions)
            w.u8(UInt8(r.observationShape.count))
            for d in r.observationShape { w.u32(d) }
            if let bounds = r.observationBounds {
                w.floats(bounds.low)
                w.floats(bounds.high)
            }
        case .reset, .heartbeat, .goodbye:
            break
        case let .actions(a):
            w.u32(a.environmentCount)
            w.u32(a.actionSize)
            w.floats(a.values)
        case let .results(r):
            w.u32(r.environmentCount)
            w.u32(r.observationSize)
            w.u8(r.observations.dtype.rawValue)
            w.bytes(r.observations.bytes)
            for reward in r.rewards { w.u64(reward.bitPattern) }
            for i in 0..<r.terminated.count { w.u8((r.terminated[i] ? 1 : 0) | (r.truncated[i] ? 2 : 0)) }
            w.u32(UInt32(r.finalObservations.count))
            for f in r.finalObservations {
                w.u32(f.index)
                w.bytes(f.observation.bytes)
            }
        case let .error(e):
            w.u16(e.code.rawValue)
            w.text32(e.message)
        case let .frame(f):
            w.u32(f.index)
            w.u32(f.height)
            w.u32(f.width)
            w.bytes(f.pixels)
        }
        return w.buffer
    }

    // MARK: Decoding

    /// Decodes and validates one frame against `limits`. Throws
    /// ``ProtocolError`` for anything malformed; nothing is allocated for a
    /// count that fails its limit.
    public static func decode(_ bytes: UnsafeRawBufferPointer, limits: WireLimits = .standard) throws -> (message: WireMessage, sequence: UInt64) {
        guard bytes.count <= limits.maxMessageBytes else {
            throw ProtocolError.limitExceeded(field: "message bytes", value: bytes.count, limit: limits.maxMessageBytes)
        }
        var r = ByteReader(bytes)
        guard bytes.count >= headerSize else { throw ProtocolError.truncated(needed: headerSize, available: bytes.count) }
        guard try r.bytes(4) == magic else { throw ProtocolError.badMagic }
        let version = try r.u16()
        let kindByte = try r.u8()
        guard version == WireCodec.version else { throw ProtocolError.unsupportedVersion(version, kind: MessageKind(rawValue: kindByte)) }
        guard let kind = MessageKind(rawValue: kindByte) else { throw ProtocolError.unknownKind(kindByte) }
        let flags = try r.u8()
        guard flags == 0 else { throw ProtocolError.invalidField("header flags must be 0, got \(flags)") }
        let sequence = try r.u64()
        let message: WireMessage
        switch kind {
        case .hello:
            let capacity = try r.u32()
            let pid = try r.u32()
            message = .hello(Hello(capacity: capacity, pid: pid, label: try r.text16("label", limit: limits.maxTextBytes)))
        case .assign:
            let workerIndex = try r.u32()
            let first = try r.u32()
            let count = try r.count("environment count", limit: limits.maxEnvironments)
            try r.need(count * 8)
            let seeds = (0..<count).map { _ in r.u64Unchecked() }
            let name = try r.text16("environment name", limit: limits.maxTextBytes)
            let settings = try r.text32("settings", limit: limits.maxSettingsBytes)
            let encodingByte = try r.u8()
            guard let encoding = ObservationEncoding(rawValue: encodingByte) else {
                throw ProtocolError.invalidField("observation encoding \(encodingByte) (0 native, 1 bf16, 2 f32)")
            }
            message = .assign(Assign(workerIndex: workerIndex, firstEnvironmentID: first, environment: name, settingsJSON: settings, seeds: seeds,
                                     observationEncoding: encoding))
        case .ready:
            let count = try r.count("environment count", limit: limits.maxEnvironments)
            let observationSize = try r.count("observation size", limit: limits.maxObservationSize)
            let dtype = try r.dtype()
            let actionSize = try r.count("action size", limit: limits.maxActionSize)
            let actionKind = try r.u8()
            guard actionKind <= 1 else { throw ProtocolError.invalidField("action kind \(actionKind) (0 discrete, 1 box)") }
            let discrete = try r.u32()
            if actionKind == 0 {
                guard actionSize == 1, discrete >= 1 else { throw ProtocolError.invalidField("a discrete action space needs action size 1 and at least one action") }
            }
            let rank = Int(try r.u8())
            guard rank <= limits.maxRank else { throw ProtocolError.limitExceeded(field: "observation rank", value: rank, limit: limits.maxRank) }
            try r.need(rank * 4)
            let shape = (0..<rank).map { _ in r.u32Unchecked() }
            let product = shape.reduce(1) { $0 &* Int($1) }
            guard product == observationSize else { throw ProtocolError.shapeMismatch(field: "observation shape product", expected: observationSize, found: product) }
            // Optional, after the shape: `obs_low` and `obs_high`, obs_size f32 each.
            var bounds: ObservationBounds?
            if r.remaining > 0 {
                guard r.remaining == 8 * observationSize else {
                    throw ProtocolError.invalidField("\(r.remaining) bytes after the observation shape; the bounds are 8 × obs_size = \(8 * observationSize)")
                }
                let low = try r.floats(observationSize), high = try r.floats(observationSize)
                if let i = (0..<observationSize).first(where: { !(low[$0] <= high[$0]) || low[$0] == .infinity || high[$0] == -.infinity }) {
                    throw ProtocolError.invalidField("observation bounds of element \(i): low \(low[i]), high \(high[i]) (low ≤ high, neither NaN, low below +∞ and high above −∞)")
                }
                bounds = ObservationBounds(low: low, high: high)
            }
            message = .ready(Ready(environmentCount: UInt32(count), observationSize: UInt32(observationSize), actionSize: UInt32(actionSize),
                                   actionKind: actionKind, discreteActions: discrete, observationShape: shape, observationDType: dtype,
                                   observationBounds: bounds))
        case .reset:
            message = .reset
        case .heartbeat:
            message = .heartbeat
        case .goodbye:
            message = .goodbye
        case .actions:
            let count = try r.count("environment count", limit: limits.maxEnvironments)
            let size = try r.count("action size", limit: limits.maxActionSize)
            let values = try r.floats(count * size)
            message = .actions(Actions(environmentCount: UInt32(count), actionSize: UInt32(size), values: values))
        case .results:
            let count = try r.count("environment count", limit: limits.maxEnvironments)
            let size = try r.count("observation size", limit: limits.maxObservationSize)
            let dtype = try r.dtype()
            let observations = try r.observations(count * size, dtype)
            try r.need(count * 8)
            let rewards = (0..<count).map { _ in Double(bitPattern: r.u64Unchecked()) }
            try r.need(count)
            var terminated = [Bool](repeating: false, count: count), truncated = terminated
            for i in 0..<count {
                let flags = r.u8Unchecked()
                guard flags & ~3 == 0 else { throw ProtocolError.invalidField("episode flags \(flags) of environment \(i)") }
                terminated[i] = flags & 1 != 0
                truncated[i] = flags & 2 != 0
            }
            let finalCount = try r.count("final observation count", limit: UInt32(count))
            var finals: [FinalObservation] = []
            finals.reserveCapacity(finalCount)
            var seen = [Bool](repeating: false, count: count)
            for _ in 0..<finalCount {
                let index = try r.u32()
                guard Int(index) < count else { throw ProtocolError.invalidField("final observation index \(index) of \(count) environments") }
                guard terminated[Int(index)] || truncated[Int(index)] else {
                    throw ProtocolError.invalidField("final observation for environment \(index), whose episode did not end")
                }
                guard !seen[Int(index)] else { throw ProtocolError.invalidField("final observation for environment \(index) sent twice") }
                seen[Int(index)] = true
                finals.append(FinalObservation(index: index, observation: try r.observations(size, dtype)))
            }
            message = .results(Results(environmentCount: UInt32(count), observationSize: UInt32(size), observations: observations,
                                       rewards: rewards, terminated: terminated, truncated: truncated, finalObservations: finals))
        case .error:
            let rawCode = try r.u16()
            guard let code = WireError.ErrorCode(rawValue: rawCode) else { throw ProtocolError.invalidField("error code \(rawCode)") }
            message = .error(WireError(code: code, message: try r.text32("error message", limit: limits.maxTextBytes)))
        case .frame:
            let index = try r.u32()
            let height = try r.count("frame height", limit: limits.maxFrameSide)
            let width = try r.count("frame width", limit: limits.maxFrameSide)
            guard height > 0, width > 0 else { throw ProtocolError.invalidField("a frame of \(height) × \(width) pixels") }
            let pixels = try r.bytes(height * width * 3)
            message = .frame(RenderedFrame(index: index, height: UInt32(height), width: UInt32(width), pixels: pixels))
        }
        guard r.remaining == 0 else { throw ProtocolError.trailingBytes(r.remaining) }
        return (message, sequence)
    }

    public static func decode(_ bytes: [UInt8], limits: WireLimits = .standard) throws -> (message: WireMessage, sequence: UInt64) {
        try bytes.withUnsafeBytes { try decode($0, limits: limits) }
    }
}

// MARK: - Byte access

struct ByteWriter {
    var buffer: [UInt8] = []

    mutating func u8(_ v: UInt8) { buffer.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) } }
    mutating func bytes(_ v: [UInt8]) { buffer.append(contentsOf: v) }
    mutating func floats(_ v: [Float]) {
        #if _endian(little)
        v.withUnsafeBytes { buffer.append(contentsOf: $0) }
        #else
        for x in v { u32(x.bitPattern) }
        #endif
    }
    mutating func text16(_ s: String) {
        let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
        u16(UInt16(utf8.count))
        buffer.append(contentsOf: utf8)
    }
    mutating func text32(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        buffer.append(contentsOf: utf8)
    }
}

struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    func need(_ n: Int) throws {
        guard n >= 0, n <= remaining else { throw ProtocolError.truncated(needed: offset + max(n, 0), available: bytes.count) }
    }

    mutating func bytes(_ n: Int) throws -> [UInt8] {
        try need(n)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    mutating func u8() throws -> UInt8 { try need(1); return u8Unchecked() }
    mutating func u16() throws -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    mutating func u32() throws -> UInt32 { try need(4); return u32Unchecked() }
    mutating func u64() throws -> UInt64 { try need(8); return u64Unchecked() }

    mutating func u8Unchecked() -> UInt8 {
        defer { offset += 1 }
        return bytes[offset]
    }
    mutating func u32Unchecked() -> UInt32 {
        defer { offset += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    mutating func u64Unchecked() -> UInt64 {
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A u32 count checked against `limit`.
    mutating func count(_ field: String, limit: UInt32) throws -> Int {
        let value = try u32()
        guard value <= limit else { throw ProtocolError.limitExceeded(field: field, value: Int(value), limit: Int(limit)) }
        return Int(value)
    }

    /// An observation dtype byte.
    mutating func dtype() throws -> ObservationDType {
        let byte = try u8()
        guard let dtype = ObservationDType(rawValue: byte) else { throw ProtocolError.invalidField("observation dtype \(byte) (0 f32, 1 u8, 2 bf16)") }
        return dtype
    }

    /// `n` observation elements of `dtype`; the length is checked before allocating.
    mutating func observations(_ n: Int, _ dtype: ObservationDType) throws -> ObservationBlock {
        let (byteCount, overflow) = n.multipliedReportingOverflow(by: dtype.bytesPerElement)
        guard !overflow else { throw ProtocolError.truncated(needed: Int.max, available: bytes.count) }
        return ObservationBlock(dtype: dtype, bytes: try self.bytes(byteCount))
    }

    /// `n` little-endian float32 values; the length is checked before allocating.
    mutating func floats(_ n: Int) throws -> [Float] {
        let (byteCount, overflow) = n.multipliedReportingOverflow(by: 4)
        guard !overflow else { throw ProtocolError.truncated(needed: Int.max, available: bytes.count) }
        try need(byteCount)
        let start = offset
        offset += byteCount
        return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            #if _endian(little)
            if n > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + byteCount)])) }
            #else
            for i in 0..<n { buffer[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self))) }
            #endif
            initialized = n
        }
    }

    mutating func text16(_ field: String, limit: Int) throws -> String {
        let n = Int(try u16())
        return try text(field, length: n, limit: limit)
    }

    mutating func text32(_ field: String, limit: Int) throws -> String {
        let n = Int(try u32())
        return try text(field, length: n, limit: limit)
    }

    private mutating func text(_ field: String, length n: Int, limit: Int) throws -> String {
        guard n <= limit else { throw ProtocolError.limitExceeded(field: "\(field) bytes", value: n, limit: limit) }
        let raw = try bytes(n)
        guard let s = String(validating: raw, as: UTF8.self) else { throw ProtocolError.invalidField("\(field) is not UTF-8") }
        return s
    }
}
