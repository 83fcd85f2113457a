import Hummingbird
import HummingbirdCore
import NIOCore

extension ServeApplication {
    /// HTTP/1 with the limits below, and with ``DirectRouteHandler`` answering the route and
    /// echo requests (and the gateway's chat and embeddings requests) on the event loop unless
    /// ``ServeOptions/directRoutes`` is off.
    static func httpServer(service: RoutingService) -> HTTPServerBuilder {
        let configuration = hardenedHTTP1(service: service)
        guard service.options.directRoutes else { return .http1(configuration: configuration) }
        return HTTPServerBuilder { responder in
            DirectHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: configuration),
                               makeHandler: { DirectRouteHandler(service: service) })
        }
    }

    /// The HTTP/1 channel with the abuse limits of ``ServeOptions``: the request-head size
    /// (`maxHeaderBytes`, 100 header fields at most), the read deadline per request
    /// (``SlowClientGuard``) and the idle timeout. The connection count is bounded by
    /// ``ConnectionLimit``; the admin gate reads the client's address from ``ServeContext``.
    static func hardenedHTTP1(service: RoutingService) -> HTTP1Channel.Configuration {
        let o = service.options
        let deadline = TimeAmount.nanoseconds(Int64(max(0.001, o.requestTimeoutSeconds) * 1e9))
        let metrics = service.metrics
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                SlowClientGuard(deadline: deadline) { metrics.error(endpoint: "slow_client", status: 408) },
            ],
            idleTimeout: .seconds(o.idleTimeoutSeconds),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: o.maxHeaderBytes, maxHeaderListSize: o.maxHeaderBytes,
                                            maxHeaderFieldCount: 100)
        )
    }
}
