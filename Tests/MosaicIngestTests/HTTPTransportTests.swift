import Foundation
@testable import MosaicIngest
import MosaicTestSupport
import Testing

/// A loopback port nothing listens on: one the system just gave out and that is closed again.
private func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    try #require(bound)
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite struct HTTPTransportTests {
    /// A refused connection fails the attempt at once (audit-cli finding 9: AsyncHTTPClient's
    /// pool retried the connect until the deadline, so each attempt at a closed port took the
    /// whole `--timeout` before "connection refused"). The attempt's timeout is ten minutes and
    /// the test's guard one: only a refusal taken at once passes, on however busy a machine.
    @Test func aRefusedConnectionFailsAtOnce() throws {
        let url = try #require(URL(string: "http://127.0.0.1:\(try closedPort())/v1/organization/usage/completions"))
        let outcome = try bounded(seconds: 60, "GET of a closed port") { () -> Result<HTTPResponse, TransportError> in
            do throws(TransportError) { return .success(try NIOHTTPTransport().get(url, headers: [:], timeout: 600)) } catch { return .failure(error) }
        }
        guard case .failure(let error) = outcome else { Issue.record("got an answer from a closed port: \(outcome)"); return }
        #expect(!error.timedOut, "\(error)")
        #expect(error.description.contains("refused"), "\(error)")
    }
}
