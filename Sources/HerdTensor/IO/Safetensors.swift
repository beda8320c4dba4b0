import Foundation

/// Named tensors in the safetensors format (huggingface/safetensors, README
/// "Format"):
///
///     [8 bytes] N, unsigned little-endian
///     [N bytes] JSON header: {"name": {"dtype": "F32", "shape": [..],
///               "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
///               padded with spaces to a multiple of 8
///     [rest]    raw little-endian data; offsets are relative to its start
///
/// Herd writes and reads `F32`. Reading checks everything before trusting it:
/// header length within the file, valid JSON, known dtypes, offsets in order,
/// inside the buffer, covering it exactly and matching each shape.
public struct SafetensorsFile {
    /// Tensors in file order (by offset).
    public var tensors: [(name: String, tensor: Tensor)]
    /// The free-form `__metadata__` map.
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor named `name`, if present.
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    /// Name → tensor.
    public var dictionary: [String: Tensor] {
        Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// Largest header accepted, as in the reference implementation (100 MB).
    static let maximumHeaderBytes = 100_000_000

    // MARK: Writing

    /// The file's bytes. Tensors on a device are copied to the host (which
    /// throws a pending device error).
    public func encoded() throws -> Data {
        var names = Set<String>()
        var header = "{"
        var offset = 0
        var first = true
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(jsonQuoted($0)):\(jsonQuoted(metadata[$0]!))" }
            header += "\"__metadata__\":{\(entries.joined(separator: ","))}"
            first = false
        }
        var hostTensors: [Tensor] = []
        for (name, tensor) in tensors {
            require(name != "__metadata__" && names.insert(name).inserted, "safetensors: duplicate or reserved name '\(name)'")
            let host = try tensor.to(.cpu)
            hostTensors.append(host)
            let bytes = host.count * 4
            header += (first ? "" : ",") +
                "\(jsonQuoted(name)):{\"dtype\":\"F32\",\"shape\":[\(host.shape.map(String.init).joined(separator: ","))]," +
                "\"data_offsets\":[\(offset),\(offset + bytes)]}"
            first = false
            offset += bytes
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var data = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for host in hostTensors {
            host.withUnsafeBufferPointer { buffer in
                if Int(bitPattern: 1) == 1.littleEndian {
                    data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                    count: buffer.count * 4))
                } else {
                    for v in buffer { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                }
            }
        }
        return data
    }

    /// Writes the file atomically (see ``writeFileAtomically(_:to:)``).
    public func write(to url: URL) throws {
        try writeFileAtomically(try encoded(), to: url)
    }

    // MARK: Reading

    /// Reads and validates a file.
    public static func read(from url: URL) throws -> SafetensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TensorIOError.io(path: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, path: url.path)
    }

    /// Parses bytes; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> SafetensorsFile {
        func fail(_ reason: String) -> TensorIOError { .malformed(path: path, reason: reason) }
        guard data.count >= 8 else { throw fail("\(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maximumHeaderBytes), Int(headerLength) <= data.count - 8 else {
            throw fail("header length \(headerLength) exceeds the file (\(data.count) bytes) or the 100 MB limit")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let bufferStart = 8 + Int(headerLength)
        let bufferLength = data.count - bufferStart
        var metadata: [String: String] = [:]
        var entries: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw fail("__metadata__.\(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any], let offsetsAny = info["data_offsets"] as? [Any], offsetsAny.count == 2
            else { throw fail("tensor '\(name)' lacks dtype, shape or data_offsets") }
            guard dtype == "F32" else { throw TensorIOError.unsupportedDType(path: path, name: name, dtype: dtype) }
            guard let shape = shapeAny.map({ exactInt($0) }) as? [Int], shape.allSatisfy({ $0 >= 0 }),
                  let begin = exactInt(offsetsAny[0]), let end = exactInt(offsetsAny[1])
            else { throw fail("tensor '\(name)' has a non-integer or negative shape or offset") }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, begin >= 0, end >= begin, end <= bufferLength, end - begin == elements * 4 else {
                throw fail("tensor '\(name)': offsets [\(begin), \(end)] do not fit shape \(shape) within \(bufferLength) data bytes")
            }
            entries.append((name, shape, begin, end))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        for entry in entries {
            guard entry.begin == expected else { throw fail("tensor '\(entry.name)' overlaps another or leaves a gap at byte \(expected)") }
            expected = entry.end
        }
        guard expected == bufferLength else { throw fail("\(bufferLength - expected) trailing bytes after the last tensor") }
        let tensors: [(String, Tensor)] = entries.map { entry in
            let t = Tensor(uninitializedShape: entry.shape, device: .cpu)
            data.withUnsafeBytes { raw in
                let src = raw.baseAddress! + bufferStart + entry.begin
                for i in 0..<t.count {
                    let bits = src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    t.base[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            return (entry.name, t)
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }
}

/// An integer JSON number, rejecting fractions and booleans.
private func exactInt(_ value: Any) -> Int? {
    guard let number = value as? NSNumber, !(value is Bool) || String(describing: type(of: value)).contains("Number") else { return nil }
    let d = number.doubleValue
    guard d.rounded() == d, Swift.abs(d) < 9e15 else { return nil }
    return Int(d)
}
