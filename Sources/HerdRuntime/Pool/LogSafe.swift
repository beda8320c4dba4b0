import Foundation

/// Text a peer sent (a `hello` label, an `error` message), made safe to
/// print in one log line: control and format characters — newlines, ANSI
/// escapes, NUL, bidirectional overrides — are shown as `\u{…}` escapes, and
/// the text is cut at `limit` characters. A peer cannot forge log lines or
/// make `grep` treat the log as binary.
public func logSafe(_ text: String, limit: Int = 200) -> String {
    var out = ""
    var shown = 0
    for scalar in text.unicodeScalars {
        if shown == limit {
            out += "…"
            break
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
            out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default:
            out.unicodeScalars.append(scalar)
        }
        shown += 1
    }
    return out
}

/// A ZeroMQ routing id for a log line: the pool's own workers' ids
/// (`w0.1`) as they are, anything else — ZeroMQ's generated ids are binary
/// — as `peer 0x…` in hex (at most 32 bytes shown).
public func peerName(_ identity: [UInt8]) -> String {
    if !identity.isEmpty, identity.count <= 32, identity.allSatisfy({ (0x21...0x7E).contains($0) }) {
        return "peer " + String(decoding: identity, as: UTF8.self)
    }
    return "peer 0x" + identity.prefix(32).map { String(format: "%02x", $0) }.joined()
}
