/// A failure found while a command runs (not a malformed invocation): printed
/// as one `Error: …` line, without the usage text, exit status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
