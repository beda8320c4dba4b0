import Foundation
import Yams

/// A group of config fields (`ppo:`, `environment:`) described once, in
/// ``describe(_:)``, for both reading and writing.
public protocol ConfigSection {
    mutating func describe(_ coder: ConfigCoder) throws
}

/// Reads a config from parsed YAML, checking each field's type and
/// requirement and rejecting unknown keys, or writes one back as commented-
/// free YAML, walking the same ``ConfigSection/describe(_:)``.
///
/// ```swift
/// mutating func describe(_ c: ConfigCoder) throws {
///     try c.field("learning_rate", &learningRate, must: "be positive") { $0 > 0 }
///     try c.section("network", &network)
/// }
/// ```
public final class ConfigCoder {
    enum Mode { case read, write }
    let mode: Mode
    /// Names the source in errors.
    public let file: String
    private var path: [String] = []
    private var mappings: [[String: Any]] = []
    private var consumed: [Set<String>] = []
    private var lines: [String] = []

    private init(mode: Mode, file: String, root: [String: Any]) {
        self.mode = mode
        self.file = file
        mappings = [root]
        consumed = [[]]
    }

    // MARK: Entry points

    /// Reads `T` from YAML text; absent fields keep their defaults.
    public static func read<T: ConfigSection>(_ type: T.Type = T.self, yaml text: String, file: String,
                                              overrides: [String] = [], defaults: T) throws -> T {
        var root: [String: Any]
        do {
            // Compose first and check the tree: Yams' constructor traps on a
            // mapping key that is not a plain value (found by scripts/fuzz.sh;
            // Tests/Fuzz/regressions/config/).
            let node = try Yams.compose(yaml: text)
            if let node, let problem = unsupportedKey(in: node) {
                throw ConfigError.unreadable(file: file, reason: "not a config: \(problem)")
            }
            let loaded = node?.any
            if loaded == nil || loaded is NSNull {
                root = [:]
            } else if let map = loaded as? [String: Any] {
                root = map
            } else {
                throw ConfigError.unreadable(file: file, reason: "the top level must be a mapping of keys to values")
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError.unreadable(file: file, reason: "not valid YAML: \(error)")
        }
        for text in overrides { try apply(override: text, to: &root) }
        let coder = ConfigCoder(mode: .read, file: file, root: root)
        var value = defaults
        do {
            try value.describe(coder)
            try coder.finishMapping()
        } catch let error as ConfigError {
            // A key a --set gave is that argument's fault, not the file's.
            guard let key = error.key, let text = overrides.last(where: { $0.split(separator: "=", maxSplits: 1).first.map(String.init) == key })
            else { throw error }
            throw error.inFile("--set \(text) (over \(file))")
        }
        return value
    }

    /// The first mapping key in `node` that is not a plain scalar (a
    /// sequence or mapping used as a key), described with its line.
    private static func unsupportedKey(in node: Node) -> String? {
        var pending = [node]
        while let next = pending.popLast() {
            switch next {
            case .scalar:
                break
            case let .sequence(sequence):
                pending.append(contentsOf: sequence)
            case let .mapping(mapping):
                for (key, value) in mapping {
                    guard case .scalar = key else {
                        return "line \(key.mark.map { "\($0.line)" } ?? "?"): a mapping key must be a plain value, not a list or mapping"
                    }
                    pending.append(value)
                }
            }
        }
        return nil
    }

    /// Reads `T` from a YAML file.
    public static func read<T: ConfigSection>(_ type: T.Type = T.self, file url: URL, overrides: [String] = [],
                                              defaults: T) throws -> T {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError.unreadable(file: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try read(type, yaml: text, file: url.path, overrides: overrides, defaults: defaults)
    }

    /// Every field of `value` as YAML text.
    public static func yaml<T: ConfigSection>(_ value: T) -> String {
        let coder = ConfigCoder(mode: .write, file: "<memory>", root: [:])
        var copy = value
        try? copy.describe(coder)
        return coder.lines.joined(separator: "\n") + "\n"
    }

    // MARK: Describing fields

    /// One field. In read mode a present value replaces `value` after its
    /// type and `check` pass; `must` says what `check` requires, for errors.
    public func field<T: ConfigValue>(_ key: String, _ value: inout T, must requirement: String? = nil,
                                      check: ((T) -> Bool)? = nil) throws {
        switch mode {
        case .write:
            lines.append(indent + "\(key): \(value.yamlText)")
        case .read:
            consumed[consumed.count - 1].insert(key)
            guard let raw = mappings[mappings.count - 1][key] else { return }
            guard let parsed = T(yaml: raw) else {
                throw ConfigError.wrongType(file: file, key: dotted(key), expected: T.typeDescription, found: Self.describe(raw))
            }
            if let check, !check(parsed) {
                throw ConfigError.invalidValue(file: file, key: dotted(key), value: parsed.yamlText,
                                               requirement: requirement ?? "pass its check")
            }
            value = parsed
        }
    }

    /// A nested section.
    public func section<S: ConfigSection>(_ key: String, _ value: inout S) throws {
        switch mode {
        case .write:
            lines.append(indent + "\(key):")
            path.append(key)
            try value.describe(self)
            path.removeLast()
        case .read:
            consumed[consumed.count - 1].insert(key)
            guard let raw = mappings[mappings.count - 1][key] else { return }
            if raw is NSNull { return }
            guard let map = raw as? [String: Any] else {
                throw ConfigError.wrongType(file: file, key: dotted(key), expected: "a mapping", found: Self.describe(raw))
            }
            path.append(key)
            mappings.append(map)
            consumed.append([])
            try value.describe(self)
            try finishMapping()
            mappings.removeLast()
            consumed.removeLast()
            path.removeLast()
        }
    }

    /// Whether this coder is reading (checks that involve several fields run then).
    public var isReading: Bool { mode == .read }

    /// An error about `key` in the current section, for cross-field checks.
    public func invalid(_ key: String, _ value: String, must requirement: String) -> ConfigError {
        .invalidValue(file: file, key: dotted(key), value: value, requirement: requirement)
    }

    // MARK: Internals

    private var indent: String { String(repeating: "  ", count: path.count) }

    private func dotted(_ key: String) -> String { (path + [key]).joined(separator: ".") }

    private func finishMapping() throws {
        let known = consumed[consumed.count - 1]
        for key in mappings[mappings.count - 1].keys.sorted() where !known.contains(key) {
            throw ConfigError.unknownKey(file: file, key: dotted(key), known: known.sorted())
        }
    }

    private static func describe(_ raw: Any) -> String {
        switch raw {
        case is NSNull: return "null"
        case let s as String: return "\"\(s)\""
        case is [Any]: return "a list"
        case is [String: Any]: return "a mapping"
        default: return "\(raw)"
        }
    }

    /// Applies `a.b.c=value` to a parsed tree; the value is parsed as YAML.
    static func apply(override text: String, to root: inout [String: Any]) throws {
        guard let equals = text.firstIndex(of: "=") else {
            throw ConfigError.badOverride(text: text, reason: "expected KEY=VALUE, e.g. ppo.learning_rate=3e-4")
        }
        let keys = text[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !keys.isEmpty, keys.allSatisfy({ !$0.isEmpty }) else {
            throw ConfigError.badOverride(text: text, reason: "the key must be dotted names, e.g. ppo.learning_rate")
        }
        let valueText = String(text[text.index(after: equals)...])
        let value: Any
        do {
            value = try Yams.load(yaml: valueText) ?? NSNull()
        } catch {
            throw ConfigError.badOverride(text: text, reason: "the value is not valid YAML")
        }
        func insert(_ map: inout [String: Any], _ keys: ArraySlice<String>) throws {
            let key = keys.first!
            if keys.count == 1 { map[key] = value; return }
            var child: [String: Any]
            if let existing = map[key] {
                guard let m = existing as? [String: Any] else {
                    throw ConfigError.badOverride(text: text, reason: "'\(key)' is not a section")
                }
                child = m
            } else {
                child = [:]
            }
            try insert(&child, keys.dropFirst())
            map[key] = child
        }
        try insert(&root, keys[...])
    }
}
