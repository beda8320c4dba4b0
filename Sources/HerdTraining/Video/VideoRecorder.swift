import Foundation
import HerdEnvironments
import HerdTensor

/// Writes frames to a video file, chosen by its extension: `.gif` by Herd's
/// own encoder (``GIFWriter``), `.mp4` through `ffmpeg` (H.264 where the
/// build has it, yuv420p, sizes padded to even). The file appears only
/// when ``finish()`` succeeds (written beside it, then renamed).
public final class VideoRecorder {
    public enum Format: String, Sendable { case gif, mp4 }

    public let url: URL
    public let format: Format
    public let framesPerSecond: Double
    public private(set) var frames = 0
    private var gif: GIFWriter?
    private var ffmpeg: Process?
    private var ffmpegInput: FileHandle?
    private var ffmpegErrors: Pipe?
    private var size: (width: Int, height: Int)?
    private let temporary: URL

    /// Checks the extension (and, for `.mp4`, that `ffmpeg` can be found) before any frame.
    public init(url: URL, framesPerSecond: Double = 30) throws {
        guard let format = Format(rawValue: url.pathExtension.lowercased()) else {
            throw RunError.io(path: url.path, reason: "a video is .gif or .mp4")
        }
        guard framesPerSecond > 0 else { throw RunError.io(path: url.path, reason: "frames per second must be positive") }
        if format == .mp4, Self.ffmpegPath() == nil {
            throw RunError.io(path: url.path, reason: "writing .mp4 needs ffmpeg, which is not on PATH "
                              + "(Debian/Ubuntu: apt-get install ffmpeg); or record a .gif, which needs nothing")
        }
        self.url = url
        self.format = format
        self.framesPerSecond = framesPerSecond
        temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.deletingPathExtension().lastPathComponent).tmp-\(getpid()).\(url.pathExtension)")
    }

    deinit {
        if let ffmpeg, ffmpeg.isRunning { ffmpeg.terminate() }
        try? FileManager.default.removeItem(at: temporary)
    }

    public func add(_ image: RGBImage) throws {
        if let size, size != (image.width, image.height) {
            throw RunError.io(path: url.path, reason: "frame \(frames) is \(image.width)×\(image.height), the first was \(size.width)×\(size.height)")
        }
        if size == nil { try start(width: image.width, height: image.height) }
        switch format {
        case .gif: gif?.add(image)
        case .mp4:
            do {
                try ffmpegInput?.write(contentsOf: image.pixels)
            } catch {
                throw RunError.io(path: url.path, reason: "ffmpeg stopped taking frames: \(ffmpegMessage())")
            }
        }
        frames += 1
    }

    /// Finishes the file and moves it into place.
    public func finish() throws {
        guard frames > 0 else { throw RunError.io(path: url.path, reason: "no frames to write") }
        switch format {
        case .gif:
            try writeFileAtomically(gif!.finished(), to: url)
        case .mp4:
            try? ffmpegInput?.close()
            ffmpeg?.waitUntilExit()
            guard ffmpeg?.terminationStatus == 0 else {
                throw RunError.io(path: url.path, reason: "ffmpeg failed (exit \(ffmpeg?.terminationStatus ?? -1)): \(ffmpegMessage())")
            }
            if FileManager.default.fileExists(atPath: url.path) { try? FileManager.default.removeItem(at: url) }
            do {
                try FileManager.default.moveItem(at: temporary, to: url)
            } catch {
                throw RunError.io(path: url.path, reason: "cannot move the video into place: \(error.localizedDescription)")
            }
        }
    }

    private func start(width: Int, height: Int) throws {
        size = (width, height)
        switch format {
        case .gif:
            guard width <= 0xFFFF, height <= 0xFFFF else {
                throw RunError.io(path: url.path, reason: "a GIF is at most 65,535 pixels a side; the frames are \(width)×\(height)")
            }
            gif = GIFWriter(width: width, height: height, framesPerSecond: framesPerSecond)
        case .mp4:
            // A dead ffmpeg must make writes fail, not kill Herd.
            signal(SIGPIPE, SIG_IGN)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.ffmpegPath()!)
            process.arguments = ["-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)",
                                 "-r", String(framesPerSecond), "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                                 "-pix_fmt", "yuv420p", "-f", "mp4", temporary.path]
            let input = Pipe(), errors = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            do {
                try process.run()
            } catch {
                throw RunError.io(path: url.path, reason: "cannot start ffmpeg: \(error.localizedDescription)")
            }
            ffmpeg = process
            ffmpegInput = input.fileHandleForWriting
            ffmpegErrors = errors
        }
    }

    private func ffmpegMessage() -> String {
        if let ffmpeg, ffmpeg.isRunning { ffmpeg.terminate() }
        let text = String(decoding: ffmpegErrors?.fileHandleForReading.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines).suffix(2_000).description
    }

    /// `ffmpeg` on PATH (`HERD_FFMPEG` overrides).
    static func ffmpegPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment["HERD_FFMPEG"] { return FileManager.default.isExecutableFile(atPath: chosen) ? chosen : nil }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/ffmpeg"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
