/// Admission control for remote places: who may take one, and when.
///
/// A source is what names a peer across its connections
/// (``TransportMessage/source``): its CURVE key, or without CURVE its IP
/// address (every peer behind one address shares that budget). Two rules:
///
/// - **Rate.** A source takes at most `burst` places at once and then one
///   per `1 / rate` seconds (a token bucket): a daemon fills its places at
///   once, a peer that joins again and again gets a place a second.
/// - **Backoff.** A place left before its worker answered
///   ``healthySteps`` steps — silent, refused, gone, sent away, or even a
///   goodbye — is a strike against its source, which may take no place
///   for `firstBackoff · 2^(strikes − 1)` (0.5 s, 1 s, 2 s, …), at most
///   ``maximumBackoff``. A place that
///   reaches ``healthySteps`` clears its source's strikes.
///
/// A peer refused here gets `error` 5 saying when to come back. Bounded for
/// a learner that runs for days: at ``limit`` sources the book starts over.
struct Admission {
    static let limit = 4096
    /// Answered steps after which a place counts as served well.
    static let healthySteps = 100
    static let maximumBackoff = 60.0

    struct Record {
        var tokens: Double
        var refilled: Double
        var strikes = 0
        var barredUntil = -Double.infinity
    }

    let burst: Double
    let rate: Double
    let firstBackoff: Double
    private var records: [String: Record] = [:]

    /// Sources refused so far (each refused `hello`).
    private(set) var refusals = 0

    init(places: Int, rate: Double = 1, firstBackoff: Double = 0.5) {
        burst = Double(max(8, 2 * places))
        self.rate = rate
        self.firstBackoff = firstBackoff
    }

    /// Nil when `source` may take a place now, else the seconds until it may
    /// and why. Peers without a source (local ones) are not limited.
    mutating func refusal(_ source: String?, now: Double) -> (seconds: Double, reason: String)? {
        guard let source else { return nil }
        let record = refilled(source, now: now)
        defer { records[source] = record }
        if now < record.barredUntil {
            refusals += 1
            return (record.barredUntil - now, "\(record.strikes) places it took lately were left before serving \(Self.healthySteps) steps")
        }
        guard record.tokens >= 1 else {
            refusals += 1
            return ((1 - record.tokens) / rate, "it took more than \(Int(burst)) places at a rate above \(rate.formatted()) per second")
        }
        return nil
    }

    /// `source` took a place.
    mutating func took(_ source: String?, now: Double) {
        guard let source else { return }
        var record = refilled(source, now: now)
        record.tokens -= 1
        records[source] = record
    }

    /// A place of `source` was left before it served well: one more strike.
    mutating func leftEarly(_ source: String?, now: Double) {
        guard let source else { return }
        var record = refilled(source, now: now)
        record.strikes += 1
        let backoff = min(max(Self.maximumBackoff, firstBackoff), firstBackoff * Double(1 << min(record.strikes - 1, 20)))
        record.barredUntil = max(record.barredUntil, now + backoff)
        records[source] = record
    }

    /// A place of `source` served well: its strikes are forgiven.
    mutating func servedWell(_ source: String?) {
        guard let source, records[source] != nil else { return }
        records[source]?.strikes = 0
    }

    func strikes(_ source: String) -> Int { records[source]?.strikes ?? 0 }

    /// Refusals are logged at most once per ``logInterval`` per source, so
    /// that a peer reconnecting in a loop cannot flood the learner's log:
    /// nil when this one is only counted, else how many went unlogged
    /// since the last line.
    mutating func logPermit(_ source: String, now: Double) -> Int? {
        if logged[source] == nil, logged.count >= Self.limit { logged.removeAll() }
        guard let last = logged[source], now - last.time < Self.logInterval else {
            let skipped = logged[source]?.skipped ?? 0
            logged[source] = (now, 0)
            return skipped
        }
        logged[source]?.skipped += 1
        return nil
    }

    static let logInterval = 10.0
    private var logged: [String: (time: Double, skipped: Int)] = [:]

    private mutating func refilled(_ source: String, now: Double) -> Record {
        if records[source] == nil, records.count >= Self.limit { records.removeAll() }
        var record = records[source] ?? Record(tokens: burst, refilled: now)
        record.tokens = min(burst, record.tokens + (now - record.refilled) * rate)
        record.refilled = now
        return record
    }
}

private extension Double {
    func formatted() -> String { self == rounded() ? String(Int(self)) : String(self) }
}
