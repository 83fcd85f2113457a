import Foundation
import Hummingbird
import HummingbirdTesting
import MosaicCore
@testable import MosaicServer
import MosaicTestSupport
import Testing

/// The admin endpoints: token, lockout after repeated failures, loopback-only by default.
@Suite("serve: admin gate")
struct AdminGateTests {
    static func reload(_ client: some TestClientProtocol, token: String, peer: String? = nil) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [.authorization: "Bearer " + token]
        if let peer { headers[PeerAddressTagger.field] = peer }
        return try await client.execute(uri: "/admin/reload", method: .post, headers: headers) { r in
            (r.status, String(buffer: r.body))
        }
    }

    @Test func repeatedFailuresLockTheClientOutForAMinute() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        let app = ServeApplication.make(service: service, logger: Fixture.logger)
        try await app.test(.router) { client in
            for k in 1...AdminGate.maxFailures {
                let (status, _) = try await Self.reload(client, token: "guess-\(k)", peer: "127.0.0.1")
                #expect(status == .unauthorized)
            }
            // Locked: even the right token is refused, and the answer says for how long.
            let (locked, text) = try await Self.reload(client, token: "t0ken", peer: "127.0.0.1")
            #expect(locked == .tooManyRequests)
            #expect(text.contains("try again in 60 s"), "\(text)")
            // Another client is not locked out.
            #expect(try await Self.reload(client, token: "t0ken", peer: "127.0.0.2").0 == .ok)
            f.clock.advance(59_000_000)
            #expect(try await Self.reload(client, token: "t0ken", peer: "127.0.0.1").0 == .tooManyRequests)
            f.clock.advance(1_000_000)
            #expect(try await Self.reload(client, token: "t0ken", peer: "127.0.0.1").0 == .ok)
            // A success clears the count: four more failures do not lock.
            for _ in 1..<AdminGate.maxFailures {
                #expect(try await Self.reload(client, token: "nope", peer: "127.0.0.1").0 == .unauthorized)
            }
            #expect(try await Self.reload(client, token: "t0ken", peer: "127.0.0.1").0 == .ok)
        }
    }

    @Test func failuresSpreadOverMoreThanAWindowDoNotLock() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        let app = ServeApplication.make(service: service, logger: Fixture.logger)
        try await app.test(.router) { client in
            for _ in 0..<(3 * AdminGate.maxFailures) {
                let (status, _) = try await Self.reload(client, token: "nope", peer: "127.0.0.1")
                #expect(status == .unauthorized)
                f.clock.advance(AdminGate.window / Int64(AdminGate.maxFailures - 1))
            }
        }
    }

    @Test func onANonLoopbackAddressAdminAnswersLoopbackClientsOnly() async throws {
        let f = try Fixture()
        var o = f.options()
        o.host = "0.0.0.0"   // never bound here: the router is driven in-process
        let service = try RoutingService(options: o, logger: Fixture.logger)
        defer { service.close() }
        let app = ServeApplication.make(service: service, logger: Fixture.logger)
        try await app.test(.router) { client in
            let (remote, text) = try await Self.reload(client, token: "t0ken", peer: "192.0.2.7")
            #expect(remote == .forbidden)
            #expect(text.contains("--admin-remote"))
            #expect(try await Self.reload(client, token: "t0ken").0 == .forbidden, "an unknown peer is not loopback")
            #expect(try await Self.reload(client, token: "t0ken", peer: "127.0.0.1").0 == .ok)
            #expect(try await Self.reload(client, token: "t0ken", peer: "::1").0 == .ok)
        }
        var allowed = f.options()
        allowed.host = "0.0.0.0"
        allowed.adminAllowRemote = true
        let open = try RoutingService(options: allowed, logger: Fixture.logger)
        defer { open.close() }
        try await ServeApplication.make(service: open, logger: Fixture.logger).test(.router) { client in
            let (status, _) = try await Self.reload(client, token: "t0ken", peer: "192.0.2.7")
            #expect(status == .ok)
        }
    }

    @Test func theTokenIsComparedWhole() {
        func check(_ header: String?, token: String?) -> HTTPResponse.Status? {
            var fields = HTTPFields()
            if let header { fields[.authorization] = header }
            let request = Request(head: HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/admin/reload", headerFields: fields),
                                  body: .init(buffer: ByteBuffer()))
            return ServeApplication.authorize(request, token: token)?.status
        }
        #expect(check("Bearer t0ken", token: "t0ken") == nil)
        #expect(check("Bearer t0ke", token: "t0ken") == .unauthorized)
        #expect(check("Bearer t0ken1", token: "t0ken") == .unauthorized)
        #expect(check("Bearer t0keN", token: "t0ken") == .unauthorized)
        #expect(check("Bearer ", token: "t0ken") == .unauthorized)
        #expect(check("t0ken", token: "t0ken") == .unauthorized)
        #expect(check(nil, token: "t0ken") == .unauthorized)
        #expect(check("Bearer ", token: nil) == .unauthorized)
    }

    @Test func theServerOverwritesAClientsPeerAddressHeader() async throws {
        // Over a real socket the peer header is the connection's address, whatever the client
        // sends: failures sent as "203.0.113.9" lock out 127.0.0.1.
        let f = try Fixture()
        let service = try f.service()
        let handle = try await ServeApplication.start(service: service, logger: Fixture.logger)
        let port = handle.port
        try await blocking {
            let c = LoopbackHTTPClient(port: port)
            defer { c.close() }
            for _ in 0..<AdminGate.maxFailures {
                let r = try c.post("/admin/reload", json: "", headers: [("Authorization", "Bearer nope"), ("Mosaic-Peer-Address", "203.0.113.9")])
                #expect(r.status == 401)
            }
            let r = try c.post("/admin/reload", json: "", headers: [("Authorization", "Bearer t0ken")])
            #expect(r.status == 429)
            #expect(r.text.contains("from 127.0.0.1"), "\(r.text)")
        }
        try await handle.stop()
    }
}
