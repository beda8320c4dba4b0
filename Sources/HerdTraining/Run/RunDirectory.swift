import Foundation
import HerdCore

/// The files of a run: `config.yaml`, `metrics.jsonl`, TensorBoard
/// `events.out.tfevents.*`, `checkpoints/` and, at the end, `summary.json`.
public struct RunDirectory: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// `runs/<name>-<UTC timestamp>` under `root`.
    public static func fresh(name: String, root: URL = URL(fileURLWithPath: "runs"), now: Date = Date()) -> RunDirectory {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let base = "\(name)-\(formatter.string(from: now))"
        // Two runs started in the same second get their own directories.
        var candidate = RunDirectory(url: root.appendingPathComponent(base)), suffix = 2
        while FileManager.default.fileExists(atPath: candidate.url.path) {
            candidate = RunDirectory(url: root.appendingPathComponent("\(base)-\(suffix)"))
            suffix += 1
        }
        return candidate
    }

    /// Whether the directory already holds a run (its config, metrics or checkpoints).
    public var holdsARun: Bool {
        [config, metrics, checkpoints].contains { FileManager.default.fileExists(atPath: $0.path) }
    }

    public var config: URL { url.appendingPathComponent("config.yaml") }
    public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
    public var summary: URL { url.appendingPathComponent("summary.json") }
    public var checkpoints: URL { url.appendingPathComponent("checkpoints") }

    /// TensorBoard event files, oldest first.
    public var eventFiles: [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasPrefix("events.out.tfevents.") }.sorted().map { url.appendingPathComponent($0) }
    }

    /// Creates the directory and `checkpoints/`.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        } catch {
            throw RunError.io(path: url.path, reason: "cannot create the run directory (\(error.localizedDescription))")
        }
    }
}

/// A JSON object built field by field, in order (for `summary.json`).
public struct JSONObjectText {
    private var fields: [String] = []
    public init() {}
    public mutating func add(_ key: String, _ value: Double?) { fields.append("\(jsonQuoted(key)): \(value.map(jsonNumber) ?? "null")") }
    public mutating func add(_ key: String, _ value: Int?) { add(key, value.map(Double.init)) }
    public mutating func add(_ key: String, _ value: String) { fields.append("\(jsonQuoted(key)): \(jsonQuoted(value))") }
    public mutating func add(_ key: String, _ value: Bool) { fields.append("\(jsonQuoted(key)): \(value)") }
    public var text: String { "{\n  " + fields.joined(separator: ",\n  ") + "\n}\n" }
}
