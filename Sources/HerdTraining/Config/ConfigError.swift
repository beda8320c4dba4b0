/// A config that cannot be used. Every case names the file and, where there
/// is one, the dotted key (`ppo.learning_rate`).
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read or is not valid YAML.
    case unreadable(file: String, reason: String)
    /// A key the schema does not have; `known` lists the keys at that level.
    case unknownKey(file: String, key: String, known: [String])
    /// A value of the wrong type.
    case wrongType(file: String, key: String, expected: String, found: String)
    /// A value of the right type outside what the field allows.
    case invalidValue(file: String, key: String, value: String, requirement: String)
    /// A `--set KEY=VALUE` argument that is not of that form.
    case badOverride(text: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): \(reason)"
        case let .unknownKey(file, key, known):
            return "\(file): unknown key '\(key)' (known here: \(known.joined(separator: ", ")))"
        case let .wrongType(file, key, expected, found):
            return "\(file): '\(key)' must be \(expected), found \(found)"
        case let .invalidValue(file, key, value, requirement):
            return "\(file): '\(key)' = \(value) is not allowed: it must \(requirement)"
        case let .badOverride(text, reason):
            return "--set \(text): \(reason)"
        }
    }

    /// The dotted key the error is about, if any.
    public var key: String? {
        switch self {
        case let .unknownKey(_, key, _), let .wrongType(_, key, _, _), let .invalidValue(_, key, _, _): return key
        case .unreadable, .badOverride: return nil
        }
    }

    /// The same error, said of `file`.
    func inFile(_ file: String) -> ConfigError {
        switch self {
        case let .unreadable(_, reason): return .unreadable(file: file, reason: reason)
        case let .unknownKey(_, key, known): return .unknownKey(file: file, key: key, known: known)
        case let .wrongType(_, key, expected, found): return .wrongType(file: file, key: key, expected: expected, found: found)
        case let .invalidValue(_, key, value, requirement): return .invalidValue(file: file, key: key, value: value, requirement: requirement)
        case .badOverride: return self
        }
    }
}
