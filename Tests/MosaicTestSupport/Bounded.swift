import Foundation

/// Work that did not finish within the time a test allowed it.
public struct StillRunning: Error, CustomStringConvertible {
    public let description: String
}

/// Runs blocking work on a thread of its own and waits for it at most `seconds`, so that a test
/// of something that used to hang fails instead of hanging (the thread is left behind).
///
/// - Throws: ``StillRunning`` naming `what` when the time passed; else what `body` threw.
public func bounded<T>(seconds: Double, _ what: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        box.result = Result { try body() }
        done.signal()
    }
    guard done.wait(timeout: .now() + seconds) == .success else {
        throw StillRunning(description: "\(what): no result within \(seconds) s")
    }
    return try box.result!.get()
}

/// A result handed from the worker thread to the waiter (the semaphore orders the two).
final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
