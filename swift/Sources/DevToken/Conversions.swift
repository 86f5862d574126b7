import DevTokenUniFFI
import Dispatch
import Foundation

/// Whole UNIX seconds of `date`, rounded down. A date beyond the range of `Int64` becomes its
/// nearest end, which the core then refuses with rule `time_range` (never a trap here).
func unixSeconds(_ date: Date) -> Int64 {
    let seconds = date.timeIntervalSince1970.rounded(.down)
    if let exact = Int64(exactly: seconds) { return exact }
    return seconds < 0 ? .min : .max
}

/// The date of whole UNIX `seconds`.
func date(unixSeconds seconds: Int64) -> Date {
    Date(timeIntervalSince1970: TimeInterval(seconds))
}

/// Whole seconds of `duration`, as the core decides for `input`: a fraction of a second is the
/// core's `whole_seconds` error (the same as a Python `timedelta` with one), never truncated.
/// `nil` stays `nil`.
func wholeSeconds(_ duration: Duration?, as input: DurationInput) throws(DevTokenError) -> Int64? {
    guard let duration else { return nil }
    let (seconds, attoseconds) = duration.components
    // The core takes nanoseconds; a fraction under a nanosecond is passed as one, so it is still
    // a fraction there.
    let nanos = attoseconds / 1_000_000_000
    let fraction = nanos == 0 && attoseconds != 0 ? attoseconds.signum() : nanos
    return try translatingErrors {
        try DevTokenUniFFI.wholeSeconds(input: input, seconds: seconds, nanos: fraction)
    }
}

/// Whole milliseconds of `duration` (a fraction of a millisecond dropped), saturating at the ends
/// of `Int64`; the core decides what is in range.
func wholeMilliseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
    if overflow { return seconds < 0 ? .min : .max }
    let (total, sumOverflow) = millis.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
    if sumOverflow { return seconds < 0 ? .min : .max }
    return total
}

/// The queue blocking calls (network exchanges) run on when called from async code, so they
/// never occupy a thread of Swift's cooperative pool.
private let blockingQueue = DispatchQueue(label: "dev.devtoken.blocking", attributes: .concurrent)

/// Runs the blocking `body` on devtoken's own queue and resumes the caller with its result.
func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws(DevTokenError) -> T) async throws(DevTokenError)
    -> T
{
    let result: Result<T, DevTokenError> = await withCheckedContinuation { continuation in
        blockingQueue.async {
            continuation.resume(returning: Result { () throws(DevTokenError) -> T in try body() })
        }
    }
    return try result.get()
}
