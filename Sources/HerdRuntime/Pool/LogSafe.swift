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
