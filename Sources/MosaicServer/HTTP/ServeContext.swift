import Hummingbird
import NIOCore

/// The request context of `mosaic serve`: Hummingbird's core context plus the connection the
/// request came on, so that the admin gate can read the client's address from the socket
/// itself (a client cannot send it). The address is looked up only when asked for.
public struct ServeContext: RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The client's address (nil when the connection has none, as in-process router tests).
    public var remoteAddress: SocketAddress? { channel.remoteAddress }
}
