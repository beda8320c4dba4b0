/// Why an incoming frame was rejected. A rejected frame is dropped and
/// counted; it is never partly used.
public enum ProtocolError: Error, Equatable, CustomStringConvertible {
    /// Fewer bytes than the header or the declared contents need.
    case truncated(needed: Int, available: Int)
    /// More bytes than the declared contents.
    case trailingBytes(Int)
    /// The first four bytes are not `HERD`.
    case badMagic
    /// A protocol version this side does not speak, and the kind the frame
    /// names (nil when that byte names no kind).
    case unsupportedVersion(UInt16, kind: MessageKind?)
    /// A kind byte that names no message.
    case unknownKind(UInt8)
    /// A count or size beyond ``WireLimits``.
    case limitExceeded(field: String, value: Int, limit: Int)
    /// A count that disagrees with another field or with the shapes agreed
    /// at `ready`.
    case shapeMismatch(field: String, expected: Int, found: Int)
    /// A field whose value is not allowed (bad UTF-8, index out of range, …).
    case invalidField(String)
    /// A well-formed message that makes no sense in this state.
    case unexpected(MessageKind, state: String)

    public var description: String {
        switch self {
        case let .truncated(needed, available): return "truncated frame: needs \(needed) bytes, has \(available)"
        case let .trailingBytes(n): return "\(n) bytes after the end of the message"
        case .badMagic: return "not a Herd frame (bad magic)"
        case let .unsupportedVersion(v, _): return "unsupported protocol version \(v) (this side speaks \(WireCodec.version))"
        case let .unknownKind(k): return "unknown message kind \(k)"
        case let .limitExceeded(field, value, limit): return "\(field) = \(value) exceeds the limit \(limit)"
        case let .shapeMismatch(field, expected, found): return "\(field) is \(found), expected \(expected)"
        case let .invalidField(message): return "invalid field: \(message)"
        case let .unexpected(kind, state): return "unexpected \(kind) message while \(state)"
        }
    }
}
