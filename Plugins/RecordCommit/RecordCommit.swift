import Foundation
import PackagePlugin

/// Writes the commit Herd is built from into the `herd` executable, so that
/// `herd --version` names it (`scripts/record_commit.sh` does the work, before
/// every build; the file changes only when the commit or its state does).
@main
struct RecordCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = context.package.directoryURL.appending(path: "scripts/record_commit.sh")
        return [.prebuildCommand(displayName: "Recording the commit for herd --version",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: [script.path, context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}
