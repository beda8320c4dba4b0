import Foundation
import HerdTestSupport
import XCTest

/// Herd's libraries can be used by another package that depends on Herd by
/// version: SwiftPM refuses a versioned dependency whose manifest has
/// unsafe flags, so the `-march` flag lives in the build scripts
/// (scripts/swift_flags.sh), not in Package.swift.
final class PackageDependencyTests: XCTestCase {
    func testAPackageDependingOnHerdByVersion_builds_andUsesHerdTensor() throws {
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let herd = scratch.appendingPathComponent("herd")
        // The committed tree at a version tag (what a dependent resolves).
        let commit = try runProcess("/usr/bin/git", ["-C", repositoryRoot.path, "rev-parse", "HEAD"])
        try XCTSkipIf(commit.status != 0, "SKIPPED: not a git checkout (\(commit.stderr))")
        for arguments in [["clone", "--quiet", repositoryRoot.path, herd.path],
                          ["-C", herd.path, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "tag", "99.0.0"]] {
            let result = try runProcess("/usr/bin/git", arguments)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        // Package.swift as it is in this working tree (a test of the manifest, even before it is committed).
        try FileManager.default.removeItem(at: herd.appendingPathComponent("Package.swift"))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Package.swift"), to: herd.appendingPathComponent("Package.swift"))
        for arguments in [["-C", herd.path, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "--allow-empty", "-am", "manifest"],
                          ["-C", herd.path, "tag", "-f", "99.0.0"]] {
            let result = try runProcess("/usr/bin/git", arguments)
            XCTAssertEqual(result.status, 0, result.stderr)
        }

        let consumer = scratch.appendingPathComponent("consumer")
        let sources = consumer.appendingPathComponent("Sources/consumer")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try """
        // swift-tools-version:6.0
        import PackageDescription

        let package = Package(
            name: "consumer",
            dependencies: [.package(url: "file://\(herd.path)", from: "99.0.0")],
            targets: [.executableTarget(name: "consumer", dependencies: [.product(name: "HerdTensor", package: "herd")])],
            swiftLanguageModes: [.v5]
        )
        """.write(to: consumer.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        try """
        import HerdTensor

        let x = try Tensor([1, 2, 3, 4], shape: [2, 2])
        print(Tensor.matmul(x, x).sum().scalar)
        """.write(to: sources.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)

        let build = try runProcess("/usr/bin/env", ["swift", "build", "--package-path", consumer.path,
                                                    "--scratch-path", scratch.appendingPathComponent(".build").path])
        XCTAssertEqual(build.status, 0, "swift build of a package depending on Herd 99.0.0 failed:\n\(build.stdout)\n\(build.stderr)")
        guard build.status == 0 else { return }
        let run = try runProcess(scratch.appendingPathComponent(".build/debug/consumer").path, [])
        XCTAssertEqual(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "54.0", "[[1,2],[3,4]]² = [[7,10],[15,22]]")
    }
}
