import Foundation
import HerdRuntime
import HerdTensor
import Yams

/// Finds and loads device profiles: `cpu`, a profile name looked up in the
/// profile directory (`configs/devices/NAME.yaml`), or a path to a YAML file.
public struct DeviceCatalog {
    /// Where named profiles live.
    public var directory: URL

    public init(directory: URL) { self.directory = directory }

    /// `configs/devices` from `HERD_DEVICES_DIR`, the working directory,
    /// the install prefix or the checkout (`Installation`).
    public static func standard() -> DeviceCatalog {
        DeviceCatalog(directory: Installation.directory("configs/devices", override: "HERD_DEVICES_DIR")
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("configs/devices"))
    }

    /// Names of the profiles in the directory.
    public func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The device for `spec`: `cpu`, a profile name, or a YAML path;
    /// `precision` overrides the profile's default.
    public func device(_ spec: String, precision: Precision? = nil) throws -> Device {
        if spec == "cpu" { return .cpu }
        return .accelerator(try profile(spec), precision: precision)
    }

    /// The device a config's `device` names: `cpu`, or `NAME[:PRECISION]`
    /// of a profile (precision fp32, bf16 or int8; default the profile's).
    public func resolve(_ spec: String) throws -> Device {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        var precision: Precision?
        if parts.count == 2 {
            guard let p = Precision(rawValue: parts[1]) else {
                throw DeviceError.invalidProfile("device '\(spec)': unknown precision '\(parts[1])' (fp32, bf16 or int8)")
            }
            precision = p
        }
        return try device(parts.first ?? spec, precision: precision)
    }

    /// What is wrong with a config's `device`, checked without reading any
    /// file: the precision must be known, a name must be one of the
    /// catalog's profiles (when the catalog directory exists; elsewhere,
    /// e.g. `herd eval` run far from the checkout, names are not checked),
    /// a path must exist. Nil when it is fine.
    public func problem(with spec: String) -> String? {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2, Precision(rawValue: parts[1]) == nil { return "unknown precision '\(parts[1])'" }
        let name = parts.first ?? spec
        if name == "cpu" { return nil }
        if name.hasSuffix(".yaml") || name.contains("/") {
            return FileManager.default.fileExists(atPath: name) ? nil : "no profile file \(name)"
        }
        let known = names()
        guard !known.isEmpty, !known.contains(name) else { return nil }
        return "no profile '\(name)' in \(directory.path); known: \((["cpu"] + known).joined(separator: ", "))"
    }

    /// Loads and validates a profile by name or path.
    public func profile(_ spec: String) throws -> DeviceProfile {
        let url = spec.hasSuffix(".yaml") || spec.contains("/")
            ? URL(fileURLWithPath: spec)
            : directory.appendingPathComponent("\(spec).yaml")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            let known = (["cpu"] + names()).joined(separator: ", ")
            throw DeviceError.invalidProfile("no device profile '\(spec)' (looked for \(url.path); known: \(known))")
        }
        return try Self.parse(text, source: url.path)
    }

    /// Parses profile YAML; errors name the file and the key.
    public static func parse(_ text: String, source: String) throws -> DeviceProfile {
        let profile: DeviceProfile
        do {
            profile = try YAMLDecoder().decode(DeviceProfile.self, from: text)
        } catch let error as DecodingError {
            throw DeviceError.invalidProfile("\(source): \(describe(error))")
        } catch {
            throw DeviceError.invalidProfile("\(source): \(error)")
        }
        try profile.validate()
        return profile
    }
}

/// One sentence for a decoding error, naming the key path.
public func describe(_ error: DecodingError) -> String {
    func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case let .keyNotFound(key, context):
        return "missing key '\(path(context.codingPath + [key]))'"
    case let .typeMismatch(_, context), let .valueNotFound(_, context):
        return "wrong type for '\(path(context.codingPath))': \(context.debugDescription)"
    case let .dataCorrupted(context):
        return "invalid value at '\(path(context.codingPath))': \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}
