import Foundation
import HerdTensor

/// Writes a TensorBoard event file: TFRecord framing (length, masked CRC-32C
/// of the length, data, masked CRC-32C of the data; all little-endian) around
/// `tensorflow.Event` protocol buffers (`tensorboard/compat/proto/event.proto`:
/// `wall_time` = 1, `step` = 2, `file_version` = 3, `summary` = 5,
/// `session_log` = 7; `Summary.value` = 1 with `tag` = 1 and
/// `simple_value` = 2).
///
/// The first record declares `brain.Event:2`. A writer opened to continue a
/// resumed run first writes a `SessionLog` START at the resume step: TensorBoard
/// then drops points at or after that step from earlier files, so the curve
/// continues without a seam.
public final class EventFileWriter {
    public let url: URL
    private let handle: FileHandle

    /// Creates `events.out.tfevents.<seconds>.<host>.<pid>` in `directory`.
    public init(directory: URL, resumingAt step: Int? = nil, wallTime: Double = Date().timeIntervalSince1970) throws {
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        var name = "events.out.tfevents.\(Int(wallTime)).\(host).\(getpid())"
        var candidate = directory.appendingPathComponent(name)
        var suffix = 1
        while FileManager.default.fileExists(atPath: candidate.path) {
            name = "events.out.tfevents.\(Int(wallTime)).\(host).\(getpid()).\(suffix)"
            candidate = directory.appendingPathComponent(name)
            suffix += 1
        }
        url = candidate
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: url)
        else { throw RunError.io(path: url.path, reason: "cannot create the TensorBoard event file") }
        self.handle = handle
        var first = ProtobufWriter()
        first.double(1, wallTime)
        first.string(3, "brain.Event:2")
        try write(first.bytes)
        if let step {
            var sessionLog = ProtobufWriter()
            sessionLog.varint(1, 1)  // SessionStatus.START
            var event = ProtobufWriter()
            event.double(1, wallTime)
            event.varint(2, UInt64(step))
            event.message(7, sessionLog)
            try write(event.bytes)
        }
    }

    deinit { try? handle.close() }

    /// One event holding scalar summaries `tag → value` at `step`.
    public func addScalars(_ scalars: [(tag: String, value: Double)], step: Int,
                           wallTime: Double = Date().timeIntervalSince1970) throws {
        var summary = ProtobufWriter()
        for (tag, value) in scalars where value.isFinite {
            var v = ProtobufWriter()
            v.string(1, tag)
            v.float(2, Float(value))
            summary.message(1, v)
        }
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.varint(2, UInt64(max(step, 0)))
        event.message(5, summary)
        try write(event.bytes)
    }

    private func write(_ data: [UInt8]) throws {
        var record = [UInt8]()
        record.reserveCapacity(data.count + 16)
        let length = UInt64(data.count)
        let lengthBytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }
        record += lengthBytes
        record += littleEndian(CRC32C.masked(CRC32C.checksum(lengthBytes)))
        record += data
        record += littleEndian(CRC32C.masked(CRC32C.checksum(data)))
        do {
            try handle.write(contentsOf: Data(record))
        } catch {
            throw RunError.io(path: url.path, reason: "cannot append to the event file (\(error.localizedDescription))")
        }
    }
}

private func littleEndian(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }

