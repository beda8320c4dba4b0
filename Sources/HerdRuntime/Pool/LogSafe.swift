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
/// (`w0.1`: `w`, digits, `.`, digits) as they are, anything else — ZeroMQ's
/// generated ids are binary, and a peer may choose its own — as `peer 0x…`
/// in hex (at most 32 bytes shown).
public func peerName(_ identity: [UInt8]) -> String {
    let text = String(decoding: identity, as: UTF8.self)
    let parts = text.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
    if text.first == "w", identity.count <= 24, parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) {
        return "worker " + text
    }
    return "peer 0x" + identity.prefix(32).map { String(format: "%02x", $0) }.joined()
}
