import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request is not read in full within a deadline, counted from the
/// request's first byte: the defence against slow-loris clients, which trickle a header or a
/// body a byte at a time and so never trip the idle timeout (that one counts from the last byte).
///
/// It sits after the HTTP decoder, where it sees where requests end, and puts a small watcher
/// at the front of the pipeline, where it sees when a request's first raw byte arrives. A
/// keep-alive connection waiting for its next request is not timed by it: the idle timeout
/// closes those.
final class SlowClientGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let deadline: TimeAmount
    let closed: @Sendable () -> Void
    /// A request has started arriving and has not been read to its end.
    var reading = false
    /// Bytes arrived after the last request's end (a pipelined or next request).
    var bytesSinceEnd = false
    /// Requests read whose answers are not written yet.
    var answering = 0
    /// When the request being read sent its first byte.
    var startedAt = NIODeadline.distantPast
    /// At most one timer per connection, not one per request: it is left running when a
    /// request ends, and when it fires it closes the connection only if the request being read
    /// by then is past its deadline, else it re-arms for that request's deadline. (Scheduling and
    /// cancelling a timer per request cost a search of the event loop's timer queue each time.)
    var timer: Scheduled<Void>?

    /// - Parameters:
    ///   - deadline: the most a request may take from its first byte to its end.
    ///   - closed: called when the guard closes a connection (for the metric and tests).
    init(deadline: TimeAmount, closed: @escaping @Sendable () -> Void = {}) {
        self.deadline = deadline
        self.closed = closed
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let watcher = FirstByteWatcher(guardHandler: NIOLoopBound(self, eventLoop: context.eventLoop))
        try? context.pipeline.syncOperations.addHandler(watcher, position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    /// Raw bytes arrived (from ``FirstByteWatcher``, on the channel's event loop).
    func bytesArrived(_ context: ChannelHandlerContext) {
        if reading { return }
        if answering > 0 {
            // A pipelined request: it is timed once the current answers are written.
            bytesSinceEnd = true
            return
        }
        start(context)
    }

    func start(_ context: ChannelHandlerContext) {
        reading = true
        bytesSinceEnd = false
        startedAt = .now()
        if timer == nil { arm(context, at: startedAt + deadline) }
    }

    func arm(_ context: ChannelHandlerContext, at due: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: due) {
            let (handler, context) = bound.value
            handler.timer = nil
            guard handler.reading else { return }
            let due = handler.startedAt + handler.deadline
            if due <= .now() {
                handler.closed()
                context.close(promise: nil)
            } else {
                handler.arm(context, at: due)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            if !reading { start(context) }
            answering += 1
        case .end:
            reading = false
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            answering = max(0, answering - 1)
            if answering == 0 && bytesSinceEnd && !reading { start(context) }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}

/// Tells a ``SlowClientGuard`` when raw bytes arrive, before any decoding.
final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let guardHandler: NIOLoopBound<SlowClientGuard>
    var guardContext: ChannelHandlerContext?

    init(guardHandler: NIOLoopBound<SlowClientGuard>) {
        self.guardHandler = guardHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let handler = guardHandler.value
        if let guardContext = guardContext ?? (try? context.pipeline.syncOperations.context(handler: handler)) {
            self.guardContext = guardContext
            handler.bytesArrived(guardContext)
        }
        context.fireChannelRead(data)
    }
}
