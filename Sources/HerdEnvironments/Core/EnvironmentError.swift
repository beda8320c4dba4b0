import HerdCore
/// Errors from environments, the registry and wrappers. Each names the
/// environment and, where there is one, the key or value at fault.
public enum EnvironmentError: Error, Equatable, CustomStringConvertible {
    /// The action is not in the action space.
    case invalidAction(environment: String, action: [Float], space: String)
    /// `step` after the episode ended, or before the first `reset`.
    case needsReset(environment: String)
    /// `make` with a name the registry does not know.
    case unknownEnvironment(name: String, known: [String])
    /// A settings key the environment does not take.
    case unknownSetting(environment: String, key: String, known: [String])
    /// A settings value of the wrong type or out of range.
    case invalidSetting(environment: String, key: String, message: String)
    /// A physical state with the wrong number of components, or one the
    /// environment has no settable state.
    case invalidState(environment: String, message: String)

    public var description: String {
        switch self {
        case let .invalidAction(environment, action, space):
            return "\(environment): action \(action) is not in the action space \(space)"
        case let .needsReset(environment):
            return "\(environment): step called after the episode ended (or before the first reset); call reset first"
        case let .unknownEnvironment(name, known):
            return "unknown environment '\(name)'; known: \(known.joined(separator: ", "))"
        case let .unknownSetting(environment, key, known):
            let list = known.isEmpty ? "it takes no settings" : "known: \(known.joined(separator: ", "))"
            return "\(environment): unknown setting '\(key)' (\(list))"
        case let .invalidSetting(environment, key, message):
            return "\(environment): setting '\(key)' \(message)"
        case let .invalidState(environment, message):
            return "\(environment): \(message)"
        }
    }
}
