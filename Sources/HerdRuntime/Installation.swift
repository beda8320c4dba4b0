import Foundation

/// Where Herd's data files are — the Gymnasium worker (`envs/`), the device
/// profiles and shipped configs (`configs/`) — wherever `herd` was started
/// from: an installed copy finds them under its prefix
/// (`PREFIX/bin/herd` → `PREFIX/share/herd/`, as `scripts/install.sh`
/// lays them out), a built one in the checkout it was built in
/// (`.build/<triple>/<config>/herd` → the repository).
public enum Installation {
    /// The directories searched for `relativePath`, in order: the working
    /// directory, the install prefix's `share/herd`, then the checkout.
    public static func roots() -> [URL] {
        let executable = PoolConfiguration.executableDirectory()
        return [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            executable.appendingPathComponent("../share/herd").standardized,
            executable.appendingPathComponent("../../..").standardized,
            executable.appendingPathComponent("../..").standardized,
        ]
    }

    /// The directory `relativePath` (e.g. `envs`) — the one the
    /// environment variable `override` names when it is set, else the first
    /// under `roots()` that exists and holds `file` (when given); nil when
    /// none does.
    public static func directory(_ relativePath: String, override: String, holding file: String? = nil) -> URL? {
        if let directory = ProcessInfo.processInfo.environment[override] { return URL(fileURLWithPath: directory) }
        return roots().map { $0.appendingPathComponent(relativePath) }
            .first { FileManager.default.fileExists(atPath: file.map($0.appendingPathComponent)?.path ?? $0.path) }
    }

    /// The config a user named: the file at `path` when there is one, else a
    /// shipped config — `path` itself (`configs/cartpole_ppo.yaml`) or
    /// `configs/NAME[.yaml]` (`cartpole_ppo`) under the install prefix or the
    /// checkout — else `path` unchanged, for the loader to report.
    public static func config(_ path: String) -> URL {
        let given = URL(fileURLWithPath: path)
        if FileManager.default.fileExists(atPath: given.path) || path.hasPrefix("/") { return given }
        let names = [path, "configs/\(path)", "configs/\(path).yaml"]
        for root in roots().dropFirst() {
            for name in names where FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path) {
                return root.appendingPathComponent(name)
            }
        }
        return given
    }
}
