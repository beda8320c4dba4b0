import ArgumentParser
import Foundation
import HerdTransport

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "CurveZMQ keys that authenticate actor fleets and encrypt their traffic.",
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair as DIR/public.key and DIR/secret.key (mode 0600).",
            discussion: """
            Both are Z85 text (ZeroMQ RFC 32). Give the learner its secret key \
            (herd train --curve-secret-key DIR/secret.key) and each daemon the learner's \
            public key (herd actor --server-key); copy each daemon's public.key, under any \
            name ending in .key, into the learner's --authorized-keys directory.
            """)

        @Option(help: "Directory to write the key pair into (created if missing; an existing secret.key is never overwritten).")
        var out: String

        func run() throws {
            do {
                let pair = try CurveKeyPair.generate()
                let directory = URL(fileURLWithPath: out)
                try pair.write(to: directory)
                print("public key: \(pair.publicKey)")
                print("wrote \(directory.appendingPathComponent("public.key").path) and \(directory.appendingPathComponent("secret.key").path) (mode 0600)")
            } catch {
                throw CommandError("\(error)")
            }
        }
    }
}
