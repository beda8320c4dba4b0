import Foundation
import HerdCore
import HerdEnvironments

/// Environment settings on the wire: a JSON object of string keys to
/// numbers, booleans or strings.
public enum SettingsJSON {
    public static func encode(_ settings: [String: SettingValue]) -> String {
        let entries = settings.keys.sorted().map { key -> String in
            let value: String
            switch settings[key]! {
            case let .int(v): value = "\(v)"
            case let .double(v): value = v.isFinite ? "\(v)" : "null"
            case let .bool(v): value = v ? "true" : "false"
            case let .string(v): value = jsonQuoted(v)
            }
            return "\(jsonQuoted(key)):\(value)"
        }
        return "{" + entries.joined(separator: ",") + "}"
    }

    /// Parses what ``encode(_:)`` writes (or a Python worker's `json.dumps`).
    public static func decode(_ text: String) throws -> [String: SettingValue] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ProtocolErrorText("settings are not a JSON object: \(text.prefix(200))")
        }
        var settings: [String: SettingValue] = [:]
        for (key, value) in object {
            switch value {
            case let s as String: settings[key] = .string(s)
            case let n as NSNumber:
                // Foundation's type code: "c" for JSON booleans, "d"/"f" for numbers
                // written with a fraction or exponent (1.0 stays a Double), else integers.
                switch String(cString: n.objCType) {
                case "c": settings[key] = .bool(n.boolValue)
                case "d", "f": settings[key] = .double(n.doubleValue)
                default: settings[key] = .int(n.intValue)
                }
            default:
                throw ProtocolErrorText("setting '\(key)' must be a number, boolean or string")
            }
        }
        return settings
    }
}

/// A settings decoding failure, one sentence.
public struct ProtocolErrorText: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
