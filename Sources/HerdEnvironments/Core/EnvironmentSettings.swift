import HerdCore
/// A setting's value as a config file or the command line gives it.
public enum SettingValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)

    /// Parses command-line text: an integer, a number, `true`/`false`, else text.
    public init(parsing text: String) {
        if let i = Int(text) { self = .int(i) } else if let d = Double(text) { self = .double(d) } else if text == "true" || text == "false" {
            self = .bool(text == "true")
        } else { self = .string(text) }
    }

    public var description: String {
        switch self {
        case let .int(v): return "\(v)"
        case let .double(v): return "\(v)"
        case let .bool(v): return "\(v)"
        case let .string(v): return "\"\(v)\""
        }
    }
}

/// Reads an environment's settings, checking types and ranges, and rejects
/// keys nobody read (``finish()``). Errors name the environment and the key.
public struct SettingsReader {
    public let environment: String
    private let values: [String: SettingValue]
    private var known: [String] = []

    public init(environment: String, values: [String: SettingValue]) {
        self.environment = environment
        self.values = values
    }

    /// A number (an integer is accepted), default when absent.
    public mutating func double(_ key: String, default value: Double, range: ClosedRange<Double>? = nil) throws -> Double {
        known.append(key)
        guard let setting = values[key] else { return value }
        let number: Double
        switch setting {
        case let .double(d): number = d
        case let .int(i): number = Double(i)
        default: throw EnvironmentError.invalidSetting(environment: environment, key: key, message: "must be a number, got \(setting)")
        }
        if let range, !range.contains(number) {
            throw EnvironmentError.invalidSetting(environment: environment, key: key, message: "must be in \(range), got \(number)")
        }
        return number
    }

    /// An integer, default when absent.
    public mutating func int(_ key: String, default value: Int, range: ClosedRange<Int>? = nil) throws -> Int {
        known.append(key)
        guard let setting = values[key] else { return value }
        guard case let .int(number) = setting else {
            throw EnvironmentError.invalidSetting(environment: environment, key: key, message: "must be an integer, got \(setting)")
        }
        if let range, !range.contains(number) {
            throw EnvironmentError.invalidSetting(environment: environment, key: key, message: "must be in \(range), got \(number)")
        }
        return number
    }

    /// A boolean, default when absent.
    public mutating func bool(_ key: String, default value: Bool) throws -> Bool {
        known.append(key)
        guard let setting = values[key] else { return value }
        guard case let .bool(flag) = setting else {
            throw EnvironmentError.invalidSetting(environment: environment, key: key, message: "must be true or false, got \(setting)")
        }
        return flag
    }

    /// Throws for the first key (alphabetically) that no getter asked for.
    public func finish() throws {
        for key in values.keys.sorted() where !known.contains(key) {
            throw EnvironmentError.unknownSetting(environment: environment, key: key, known: known.sorted())
        }
    }
}
