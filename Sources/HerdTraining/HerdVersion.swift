import HerdTensor
import HerdTransport

/// Herd's version and the versions of the native libraries it runs on.
public enum HerdVersion {
    public static let herd = "0.1.0"

    /// The commit the running `herd` was built from (12 hex digits,
    /// "+modified" for uncommitted changes to tracked files), set by the
    /// executable from what its build recorded (scripts/record_commit.sh).
    public nonisolated(unsafe) static var commit = "unknown"

    /// One line for `herd --version`.
    public static var description: String {
        let blas = BLAS.configuration.split(separator: " ").prefix(2).joined(separator: " ")
        return "herd \(herd) (commit \(commit), libzmq \(ZeroMQ.version), \(blas), kernels \(BLAS.coreName))"
    }
}
