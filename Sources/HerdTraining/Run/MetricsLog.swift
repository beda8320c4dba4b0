import Foundation
import HerdCore
import HerdTensor

/// One line of `metrics.jsonl`: named numbers in a fixed order.
public struct MetricsRecord: Sendable {
    public var values: [(key: String, value: Double)] = []
    public init() {}

    public subscript(key: String) -> Double? {
        get { values.first { $0.key == key }?.value }
        set {
            if let i = values.firstIndex(where: { $0.key == key }) {
                if let newValue { values[i].value = newValue } else { values.remove(at: i) }
            } else if let newValue {
                values.append((key, newValue))
            }
        }
    }

    /// A JSON object; non-finite numbers become `null`, integers print without a fraction.
    public var json: String {
        "{" + values.map { "\(jsonQuoted($0.key)):\(jsonNumber($0.value))" }.joined(separator: ",") + "}"
    }
}

/// A number as JSON text (`null` when not finite).
public func jsonNumber(_ v: Double) -> String {
    guard v.isFinite else { return "null" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return "\(v)"
}

/// `metrics.jsonl`: one JSON object per log interval, appended and flushed.
public final class MetricsLog {
    public let url: URL
    private let handle: FileHandle

    /// Opens (creating) the log. With `keepingThrough`, lines whose `step` is
    /// larger are dropped first: a resumed run continues from its checkpoint.
    public init(url: URL, keepingThrough step: Int? = nil) throws {
        self.url = url
        let manager = FileManager.default
        if let step, manager.fileExists(atPath: url.path) {
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let kept = text.split(separator: "\n").filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let s = (object["step"] as? NSNumber)?.intValue else { return false }
                return s <= step
            }
            try writeFileAtomically(Data(kept.map { $0 + "\n" }.joined().utf8), to: url)
        } else if !manager.fileExists(atPath: url.path) {
            _ = manager.createFile(atPath: url.path, contents: nil)  // failure surfaces just below
        }
        guard let handle = try? FileHandle(forWritingTo: url) else {
            throw RunError.io(path: url.path, reason: "cannot open for appending")
        }
        _ = try? handle.seekToEnd()
        self.handle = handle
    }

    deinit { try? handle.close() }

    public func append(_ record: MetricsRecord) throws {
        do {
            try handle.write(contentsOf: Data((record.json + "\n").utf8))
        } catch {
            throw RunError.io(path: url.path, reason: "cannot append (\(error.localizedDescription))")
        }
    }

    /// Every line of a metrics file as a dictionary (lines that do not parse are skipped).
    public static func read(_ url: URL) throws -> [[String: Double]] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw RunError.io(path: url.path, reason: "cannot read")
        }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
    }
}
