import Foundation

/// Pins the calling thread, and threads it creates afterwards, to `cpus`
/// (Linux `sched_setaffinity`). Returns false if the system refused.
@discardableResult
public func pinCurrentThread(to cpus: [Int]) -> Bool {
    #if os(Linux)
    var set = cpu_set_t()
    let capacity = MemoryLayout<cpu_set_t>.size * 8
    withUnsafeMutableBytes(of: &set) { bytes in
        for cpu in cpus where cpu >= 0 && cpu < capacity { bytes[cpu / 8] |= UInt8(1 << (cpu % 8)) }
    }
    // sched_setaffinity is declared only under _GNU_SOURCE, which Swift's Glibc
    // module does not define; look the symbol up instead.
    typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_setaffinity") else { return false }
    let setAffinity = unsafeBitCast(symbol, to: SetAffinity.self)
    return withUnsafeBytes(of: &set) { setAffinity(0, MemoryLayout<cpu_set_t>.size, $0.baseAddress!) } == 0
    #else
    return false
    #endif
}
