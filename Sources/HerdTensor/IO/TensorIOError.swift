/// Errors reading or writing tensor files. Each names the file and, where
/// there is one, the tensor.
public enum TensorIOError: Error, Equatable, CustomStringConvertible {
    /// The operating system refused (open, write, fsync, rename).
    case io(path: String, message: String)
    /// The file is not a valid safetensors file; `reason` says where.
    case malformed(path: String, reason: String)
    /// A tensor has a dtype Herd does not read.
    case unsupportedDType(path: String, name: String, dtype: String)
    /// A tensor a caller needs is absent.
    case missingTensor(name: String, file: String)
    /// A tensor has another shape than the one it is loaded into.
    case shapeMismatch(name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .io(path, message): return "\(path): \(message)"
        case let .malformed(path, reason): return "\(path): not a valid safetensors file: \(reason)"
        case let .unsupportedDType(path, name, dtype):
            return "\(path): tensor '\(name)' has dtype \(dtype); Herd reads F32 only"
        case let .missingTensor(name, file): return "\(file): no tensor named '\(name)'"
        case let .shapeMismatch(name, expected, found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        }
    }
}
