import Foundation

/// Checks a programmer's precondition (a shape mismatch, an impossible
/// hyperparameter) and stops with `message` when it fails.
///
/// Swift's `precondition` drops its message in optimised builds, and Herd is
/// run from release builds, so a failed check would be a bare "Illegal
/// instruction". This prints the message to standard error in every build
/// mode, then traps. Errors a user or a peer process can cause are thrown,
/// never checked with this.
@inline(__always)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { requirementFailure(message(), file: file, line: line) }
}

/// Stops with `message` printed in every build mode (see ``require(_:_:file:line:)``).
@inline(never)
public func requirementFailure(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    FileHandle.standardError.write(Data("Precondition failed: \(file):\(line): \(message)\n".utf8))
    preconditionFailure(message, file: file, line: line)
}
