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
}
