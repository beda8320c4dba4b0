import Foundation
import HerdTensor

/// The `checkpoints/` directory of a run: safetensors files named
/// `step-<12-digit step>.safetensors`, each written atomically (temporary
/// file, fsync, rename), the newest `keep` retained; and `best.safetensors`,
/// the policy of the best evaluation so far, written the same way and never
/// rotated away.
///
/// Loading takes the newest file that reads back whole; a damaged newer one is
/// reported (``skipped``) and the previous one used.
public struct CheckpointStore {
    public let directory: URL
    public let keep: Int

    public init(directory: URL, keep: Int) {
        self.directory = directory
        self.keep = max(1, keep)
    }

    /// The file a checkpoint at `step` is written to.
    public func url(step: Int) -> URL {
        directory.appendingPathComponent("step-" + String(format: "%012d", step) + ".safetensors")
    }

    /// The best evaluation's checkpoint (``saveBest(_:)``).
    public var bestURL: URL { directory.appendingPathComponent("best.safetensors") }

    /// Checkpoint files with their steps, oldest first (`best.safetensors` is not among them).
    public func list() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                  let step = Int(name.dropFirst(5).dropLast(12)) else { return nil }
            return (step, directory.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// Writes `file` as the checkpoint of `step`, then deletes all but the newest `keep`.
    @discardableResult
    public func save(_ file: SafetensorsFile, step: Int) throws -> URL {
        let target = url(step: step)
        try write(file, to: target)
        for old in list().dropLast(keep) { try? FileManager.default.removeItem(at: old.url) }
        return target
    }

    /// Writes `file` as `best.safetensors`, replacing the previous best.
    @discardableResult
    public func saveBest(_ file: SafetensorsFile) throws -> URL {
        try write(file, to: bestURL)
        return bestURL
    }

    private func write(_ file: SafetensorsFile, to target: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError.io(path: directory.path, reason: "cannot create the checkpoint directory")
        }
        try file.write(to: target)
    }

    /// The best checkpoint, or `nil` when the run has none. A damaged one
    /// throws (it is not silently replaced by another).
    public func loadBest() throws -> SafetensorsFile? {
        guard FileManager.default.fileExists(atPath: bestURL.path) else { return nil }
        return try SafetensorsFile.read(from: bestURL)
    }

    /// Moves the checkpoints after `step` into `abandoned/` (a resume from
    /// an earlier checkpoint leaves them behind: they belong to the run's
    /// abandoned continuation, and rotation would otherwise delete the new
    /// ones first). Returns the files moved.
    @discardableResult
    public func setAside(after step: Int) throws -> [URL] {
        let later = list().filter { $0.step > step }
        guard !later.isEmpty else { return [] }
        let aside = directory.appendingPathComponent("abandoned")
        do {
            try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
            return try later.map { checkpoint in
                var target = aside.appendingPathComponent(checkpoint.url.lastPathComponent)
                var n = 2
                while FileManager.default.fileExists(atPath: target.path) {
                    target = aside.appendingPathComponent(checkpoint.url.deletingPathExtension().lastPathComponent + "-\(n).safetensors")
                    n += 1
                }
                try FileManager.default.moveItem(at: checkpoint.url, to: target)
                return target
            }
        } catch {
            throw RunError.io(path: aside.path, reason: "cannot set aside the checkpoints after step \(step): \(error.localizedDescription)")
        }
    }

    /// The checkpoint `choice` names: the newest that loads (damaged newer
    /// ones are reported through `log`), the best, or a file.
    public func load(_ choice: CheckpointChoice, log: (String) -> Void) throws -> (file: SafetensorsFile, url: URL) {
        switch choice {
        case .latest:
            let (file, url, skipped) = try loadNewest()
            for (bad, reason) in skipped { log("skipping damaged checkpoint \(bad.path): \(reason)") }
            return (file, url)
        case .best:
            guard let file = try loadBest() else {
                throw RunError.noCheckpoint(directory: directory.path,
                                            reason: "no best.safetensors: the run has not evaluated (evaluation.interval_steps is 0) or predates best checkpoints")
            }
            return (file, bestURL)
        case .file(let path):
            let url = URL(fileURLWithPath: path)
            return (try SafetensorsFile.read(from: url), url)
        }
    }

    /// For `--resume`: deletes temporary files of writes that never finished
    /// (a learner killed mid-checkpoint), then loads the newest checkpoint
    /// that reads back whole. Each step is logged: the temporaries removed,
    /// the damaged checkpoints skipped (by path, with the reason).
    public func loadForResume(_ choice: CheckpointChoice = .latest, log: (String) -> Void) throws -> (file: SafetensorsFile, url: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() where (name.hasPrefix(".step-") || name.hasPrefix(".best.")) && name.contains(".tmp-") {
            let stale = directory.appendingPathComponent(name)
            if (try? FileManager.default.removeItem(at: stale)) != nil {
                log("herd train: removed \(stale.path), an unfinished checkpoint write")
            }
        }
        return try load(choice) { log("herd train: " + $0) }
    }

    /// The newest checkpoint that loads, and the newer ones that did not
    /// (path and reason), newest first.
    public func loadNewest() throws -> (file: SafetensorsFile, url: URL, skipped: [(url: URL, reason: String)]) {
        var skipped: [(URL, String)] = []
        for candidate in list().reversed() {
            do {
                return (try SafetensorsFile.read(from: candidate.url), candidate.url, skipped)
            } catch {
                skipped.append((candidate.url, "\(error)"))
            }
        }
        let reason = skipped.isEmpty ? "no checkpoint files" : "every checkpoint is damaged: " + skipped.map { "\($0.0.lastPathComponent) (\($0.1))" }.joined(separator: "; ")
        throw RunError.noCheckpoint(directory: directory.path, reason: reason)
    }
}

/// Which checkpoint of a run `herd eval`, `herd train --resume` and
/// `herd export` use (`--checkpoint best|latest|PATH`).
public enum CheckpointChoice: Equatable, Sendable, CustomStringConvertible {
    /// The newest that reads back whole.
    case latest
    /// `best.safetensors`, the best evaluation's.
    case best
    /// A checkpoint file.
    case file(String)

    /// `best`, `latest`, or anything else as a path.
    public init(_ text: String) {
        switch text {
        case "latest": self = .latest
        case "best": self = .best
        default: self = .file(text)
        }
    }

    public var description: String {
        switch self {
        case .latest: "latest"
        case .best: "best"
        case .file(let path): path
        }
    }
}
