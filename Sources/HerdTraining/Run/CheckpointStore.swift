import Foundation
import HerdTensor

/// The `checkpoints/` directory of a run: safetensors files named
/// `step-<12-digit step>.safetensors`, each written atomically (temporary
/// file, fsync, rename), the newest `keep` retained.
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

    /// Checkpoint files with their steps, oldest first.
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
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError.io(path: directory.path, reason: "cannot create the checkpoint directory")
        }
        let target = url(step: step)
        try file.write(to: target)
        for old in list().dropLast(keep) { try? FileManager.default.removeItem(at: old.url) }
        return target
    }

    /// For `--resume`: deletes temporary files of writes that never finished
    /// (a learner killed mid-checkpoint), then loads the newest checkpoint
    /// that reads back whole. Each step is logged: the temporaries removed,
    /// the damaged checkpoints skipped (by path, with the reason).
    public func loadForResume(log: (String) -> Void) throws -> (file: SafetensorsFile, url: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() where name.hasPrefix(".step-") && name.contains(".tmp-") {
            let stale = directory.appendingPathComponent(name)
            if (try? FileManager.default.removeItem(at: stale)) != nil {
                log("herd train: removed \(stale.path), an unfinished checkpoint write")
            }
        }
        let (file, url, skipped) = try loadNewest()
        for (bad, reason) in skipped { log("herd train: skipping damaged checkpoint \(bad.path): \(reason)") }
        return (file, url)
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
