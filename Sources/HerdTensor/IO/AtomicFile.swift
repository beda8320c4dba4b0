import Foundation

/// Writes `data` to `url` atomically: a temporary file in the same directory,
/// `fsync`, `rename` over the target, then `fsync` of the directory. A crash
/// at any point leaves either the old file or the new one, never a torn one.
public func writeFileAtomically(_ data: Data, to url: URL) throws {
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else { throw TensorIOError.io(path: url.path, message: "cannot create \(temporary.path): \(errnoMessage())") }
    var ok = false
    defer {
        if !ok { unlink(temporary.path) }
    }
    do {
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw TensorIOError.io(path: url.path, message: "write failed: \(errnoMessage())")
                }
                offset += written
            }
        }
        guard fsync(fd) == 0 else { throw TensorIOError.io(path: url.path, message: "fsync failed: \(errnoMessage())") }
    }
    faultInjectionPauseBeforeRename()
    guard rename(temporary.path, url.path) == 0 else {
        throw TensorIOError.io(path: url.path, message: "rename failed: \(errnoMessage())")
    }
    ok = true
    let dirfd = open(directory.path, O_RDONLY)
    if dirfd >= 0 {
        fsync(dirfd)
        close(dirfd)
    }
}

/// Fault injection for the test suite: `HERD_FAULT_PAUSE_BEFORE_RENAME=SECONDS`
/// holds every atomic write between its complete temporary file and the
/// rename, so a test can kill the process mid-checkpoint. Unset, it costs
/// one environment lookup per write.
private func faultInjectionPauseBeforeRename() {
    guard let text = getenv("HERD_FAULT_PAUSE_BEFORE_RENAME"), let seconds = Double(String(cString: text)), seconds > 0 else { return }
    usleep(UInt32(min(seconds, 60) * 1_000_000))
}

func errnoMessage() -> String { String(cString: strerror(errno)) }
