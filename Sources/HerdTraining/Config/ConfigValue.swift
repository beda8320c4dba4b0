import Foundation
import HerdCore
import HerdEnvironments

/// A value a config field can hold: read from what the YAML parser produced
/// and written back as YAML text.
public protocol ConfigValue {
    /// How the expected type is named in errors ("an integer").
    static var typeDescription: String { get }
    /// The value, if `yaml` (a parsed YAML node: String, Int, Double, Bool,
    /// array, dictionary or NSNull) can be read as one.
    init?(yaml: Any)
    /// YAML text of the value (flow style for collections).
    var yamlText: String { get }
}

extension Int: ConfigValue {
    public static var typeDescription: String { "an integer" }
    public init?(yaml: Any) {
        if let v = yaml as? Int { self = v; return }
        if let s = yaml as? String, let v = Int(s.replacingOccurrences(of: "_", with: "")) { self = v; return }
        if let d = yaml as? Double, d.rounded() == d, abs(d) < 1e15 { self = Int(d); return }
        return nil
    }
    public var yamlText: String { String(self) }
}

extension Double: ConfigValue {
    public static var typeDescription: String { "a number" }
    public init?(yaml: Any) {
        if yaml is Bool { return nil }
        if let v = yaml as? Double { self = v; return }
        if let v = yaml as? Int { self = Double(v); return }
        // YAML 1.1 reads `3e-4` (no dot) as a string; accept it as the number it means.
        if let s = yaml as? String, let v = Double(s), v.isFinite { self = v; return }
        return nil
    }
    public var yamlText: String { "\(self)" }
}

extension Float: ConfigValue {
    public static var typeDescription: String { "a number" }
    public init?(yaml: Any) {
        guard let d = Double(yaml: yaml) else { return nil }
        self = Float(d)
    }
    public var yamlText: String { "\(self)" }
}

extension Bool: ConfigValue {
    public static var typeDescription: String { "true or false" }
    public init?(yaml: Any) {
        if let v = yaml as? Bool { self = v; return }
        if let s = yaml as? String, ["true", "false"].contains(s.lowercased()) { self = s.lowercased() == "true"; return }
        return nil
    }
    public var yamlText: String { self ? "true" : "false" }
}

extension String: ConfigValue {
    public static var typeDescription: String { "a string" }
    public init?(yaml: Any) {
        guard let v = yaml as? String else { return nil }
        self = v
    }
    public var yamlText: String { jsonQuoted(self) }
}

extension Array: ConfigValue where Element == Int {
    public static var typeDescription: String { "a list of integers" }
    public init?(yaml: Any) {
        guard let list = yaml as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            guard let v = Int(yaml: item) else { return nil }
            out.append(v)
        }
        self = out
    }
    public var yamlText: String { "[" + map(String.init).joined(separator: ", ") + "]" }
}

extension Optional: ConfigValue where Wrapped: ConfigValue {
    public static var typeDescription: String { Wrapped.typeDescription + " or null" }
    public init?(yaml: Any) {
        if yaml is NSNull { self = .none; return }
        if let s = yaml as? String, ["null", "~", ""].contains(s) { self = .none; return }
        guard let v = Wrapped(yaml: yaml) else { return nil }
        self = .some(v)
    }
    public var yamlText: String { map(\.yamlText) ?? "null" }
}

/// Environment settings: a flat mapping of scalars (`{max_episode_steps: 500}`).
extension Dictionary: ConfigValue where Key == String, Value == SettingValue {
    public static var typeDescription: String { "a mapping of names to numbers, booleans or strings" }
    public init?(yaml: Any) {
        if yaml is NSNull { self = [:]; return }
        guard let map = yaml as? [String: Any] else { return nil }
        var out: [String: SettingValue] = [:]
        for (key, value) in map {
            switch value {
            case let v as Bool: out[key] = .bool(v)
            case let v as Int: out[key] = .int(v)
            case let v as Double: out[key] = .double(v)
            case let v as String: out[key] = SettingValue(parsing: v)
            default: return nil
            }
        }
        self = out
    }
    public var yamlText: String {
        "{" + keys.sorted().map { "\($0): \(self[$0]!.yamlScalar)" }.joined(separator: ", ") + "}"
    }
}

extension SettingValue {
    var yamlScalar: String {
        switch self {
        case let .string(s): return jsonQuoted(s)
        default: return description
        }
    }
}

/// String-valued enums (`objective: kl_penalty`).
public protocol ConfigEnum: ConfigValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ConfigEnum {
    public static var typeDescription: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    public init?(yaml: Any) {
        guard let s = yaml as? String, let v = Self(rawValue: s) else { return nil }
        self = v
    }
    public var yamlText: String { rawValue }
}

/// `environment.wrappers`: Gymnasium wrappers the worker applies, in order,
/// each a name (`FlattenObservation`) or a name with keyword settings
/// (`AtariPreprocessing: {frame_skip: 4}`).
public struct GymnasiumWrappers: ConfigValue, Equatable, Sendable {
    public struct Wrapper: Equatable, Sendable {
        public var name: String
        public var settings: [String: SettingValue]

        public init(_ name: String, _ settings: [String: SettingValue] = [:]) {
            self.name = name
            self.settings = settings
        }
    }

    public var wrappers: [Wrapper]

    public init(_ wrappers: [Wrapper] = []) { self.wrappers = wrappers }

    public static var typeDescription: String {
        "a list of wrapper names or single-key mappings of a name to its settings"
    }

    public init?(yaml: Any) {
        if yaml is NSNull { self.init(); return }
        guard let list = yaml as? [Any] else { return nil }
        var wrappers: [Wrapper] = []
        for item in list {
            if let name = item as? String, Self.isName(name) {
                wrappers.append(Wrapper(name))
            } else if let map = item as? [String: Any], map.count == 1, let (name, value) = map.first, Self.isName(name),
                      let settings = [String: SettingValue](yaml: value) {
                wrappers.append(Wrapper(name, settings))
            } else {
                return nil
            }
        }
        self.init(wrappers)
    }

    /// A Python identifier (a class of `gymnasium.wrappers`).
    static func isName(_ s: String) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    public var yamlText: String {
        "[" + wrappers.map { $0.settings.isEmpty ? $0.name : "{\($0.name): \($0.settings.yamlText)}" }.joined(separator: ", ") + "]"
    }
}
