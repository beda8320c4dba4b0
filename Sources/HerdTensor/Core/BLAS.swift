import COpenBLAS
import Foundation

/// The OpenBLAS library under the tensor kernels.
public enum BLAS {
    /// Sets OpenBLAS's thread count. Herd's default is 1 (see ``configureFromEnvironment()``):
    /// with environment processes sharing the cores, and products of a few
    /// hundred rows, extra threads cost more than they give.
    public static func setThreads(_ count: Int) {
        require(count >= 1, "BLAS threads must be at least 1, got \(count)")
        openblas_set_num_threads(Int32(count))
    }

    /// OpenBLAS's current thread count.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS's build description (version, kernel, thread limit).
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The kernel family OpenBLAS runs ("Haswell", "SkylakeX", ...): its own
    /// choice for this CPU, or `OPENBLAS_CORETYPE` when that is set.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Applies `HERD_BLAS_THREADS` if set, else one thread. Returns the count.
    @discardableResult
    public static func configureFromEnvironment() -> Int {
        let requested = ProcessInfo.processInfo.environment["HERD_BLAS_THREADS"].flatMap(Int.init) ?? 1
        setThreads(max(1, requested))
        return threads
    }

    /// `C = A·B` straight through `cblas_sgemm` on row-major buffers
    /// (`A: [m, k]`, `B: [k, n]`, `C: [m, n]`), for benchmarks that compare
    /// the tensor layer against the bare library.
    public static func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, c, Int32(n))
    }
}
