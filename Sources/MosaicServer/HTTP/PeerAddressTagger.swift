import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Writes the connection's remote address into each request's `Mosaic-Peer-Address` header,
/// after removing any such header the client sent, so handlers (the admin gate) can tell a
/// loopback client from a remote one without a custom request context.
final class PeerAddressTagger: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let field = HTTPField.Name("Mosaic-Peer-Address")!

    var peer: String?

    /// Exact paths that are not tagged (only the admin endpoints read the tag).
    static let untagged: Set<String> = ["/v1/route", "/bench/echo", "/v1/outcome", "/v1/chat/completions", "/v1/embeddings"]

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        // The hot paths, which never reach the admin gate, pass unchanged unless the client sent
        // the header (rewriting a request's header fields copies them).
        if let path = head.path, PeerAddressTagger.untagged.contains(path), head.headerFields[PeerAddressTagger.field] == nil {
            context.fireChannelRead(data)
            return
        }
        if peer == nil { peer = context.channel.remoteAddress?.ipAddress ?? "unknown" }
        head.headerFields[PeerAddressTagger.field] = nil
        head.headerFields[PeerAddressTagger.field] = peer
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
