import Foundation
import HerdTransport

#if FUZZING
// libFuzzer build (scripts/fuzz.sh): libFuzzer supplies `main` and calls
// this once per input; HERD_FUZZ_TARGET names the target.
nonisolated(unsafe) private let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["HERD_FUZZ_TARGET"] ?? "codec"
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("HERD_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func herdFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    if let finding = selected.run(bytes) {
        FileHandle.standardError.write(Data("herd-fuzz \(selected.rawValue): \(finding)\n".utf8))
        abort()
    }
    return 0
}

/// libFuzzer's entry for programs that have their own `main` (SwiftPM
/// gives every executable one).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, herdFuzzOneInput))
    }
}
#else
/// The ordinary build: `herd-fuzz TARGET FILE...` replays inputs (a corpus,
/// or crashes found earlier) and exits non-zero on the first finding.
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "seeds", arguments.count == 2 {
            // `herd-fuzz seeds DIR`: the codec fuzzer's starting corpus.
            let directory = URL(fileURLWithPath: arguments.last!)
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (i, message) in codecSeeds.enumerated() {
                let path = directory.appendingPathComponent("seed-\(i)-\(message.kind)").path
                guard FileManager.default.createFile(atPath: path, contents: Data(WireCodec.encode(message, sequence: UInt64(i)))) else {
                    print("\(path): cannot be written")
                    exit(1)
                }
            }
            exit(0)
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: herd-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE...  |  herd-fuzz seeds DIR")
            exit(2)
        }
        var failures = 0
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot be read")
                failures += 1
                continue
            }
            if let finding = data.withUnsafeBytes({ target.run($0) }) {
                print("\(path): \(finding)")
                failures += 1
            }
        }
        print("\(arguments.count - 1) inputs replayed, \(failures) findings")
        exit(failures == 0 ? 0 : 1)
    }
}
#endif
