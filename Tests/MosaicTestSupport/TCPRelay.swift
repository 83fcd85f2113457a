import Foundation
import Synchronization

/// A TCP relay on 127.0.0.1 in front of a server, which a test can freeze: while frozen it keeps
/// every connection open and accepts new ones, but passes no byte either way. To a client this
/// is a server that hangs (stopped, or cut off by the network) without closing anything, which
/// a restart or a killed backend cannot show.
public final class TCPRelay: @unchecked Sendable {
    /// The port clients connect to.
    public let port: Int
    let target: Int
    let listener: Int32
    let frozen = Atomic<Bool>(false)
    let stopped = Atomic<Bool>(false)
    let sockets = Mutex<[Int32]>([])

    /// Starts relaying to `127.0.0.1:targetPort`.
    public init(to targetPort: Int) throws {
        target = targetPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = TCPRelay.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            close(listener)
            throw Failure(description: "relay: cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    public struct Failure: Error, CustomStringConvertible { public let description: String }

    /// Stops passing bytes (connections stay open).
    public func freeze() { frozen.store(true, ordering: .sequentiallyConsistent) }

    /// Passes bytes again, those held back included.
    public func thaw() { frozen.store(false, ordering: .sequentiallyConsistent) }

    /// Closes the listener and every connection.
    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for s in sockets.withLock({ $0 }) { shutdown(s, Int32(SHUT_RDWR)) }
    }

    deinit { stop() }

    static func loopback(port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return a
    }

    func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            if client < 0 { if errno == EINTR { continue } else { return } }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = TCPRelay.loopback(port: UInt16(target))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if connected != 0 {
                close(client)
                close(upstream)
                continue
            }
            sockets.withLock { $0 += [client, upstream] }
            Thread.detachNewThread { [self] in pump(from: client, to: upstream) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client) }
        }
    }

    /// Copies bytes until either side closes; while frozen, reads nothing (the bytes wait in
    /// the kernel's buffers).
    func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        defer { shutdown(destination, Int32(SHUT_RDWR)) }
        while !stopped.load(ordering: .relaxed) {
            if frozen.load(ordering: .relaxed) {
                usleep(10_000)
                continue
            }
            var p = pollfd(fd: source, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) <= 0 { continue }
            if frozen.load(ordering: .relaxed) { continue }
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + sent, n - sent) }
                if m <= 0 { return }
                sent += m
            }
        }
    }
}
