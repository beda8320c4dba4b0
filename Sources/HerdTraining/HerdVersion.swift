import HerdTensor
import HerdTransport

/// Herd's version and the versions of the native libraries it runs on.
public enum HerdVersion {
    public static let herd = "0.1.0"

    /// One line for `herd --version`.
    public static var description: String {
        let blas = BLAS.configuration.split(separator: " ").prefix(2).joined(separator: " ")
        return "herd \(herd) (libzmq \(ZeroMQ.version), \(blas), kernels \(BLAS.coreName))"
    }
}
