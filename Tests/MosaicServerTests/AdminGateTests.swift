import Foundation
import Hummingbird
import MosaicCore
@testable import MosaicServer
import MosaicTestSupport
import Testing

/// The admin endpoints: token, lockout after repeated failures, loopback-only by default.
@Suite("serve: admin gate")
struct AdminGateTests {
    /// A reload request with the token.
    static func request(token: String) -> Request {
        Request(head: HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/admin/reload",
                                  headerFields: [.authorization: "Bearer " + token]),
                body: .init(buffer: ByteBuffer()))
    }

    /// What the gate answers `peer` (nil: let through).
    static func check(_ gate: AdminGate, token: String, peer: String?) -> HTTPResponse.Status? {
        gate.check(request(token: token), peer: peer)?.status
    }

    @Test func repeatedFailuresLockTheClientOutForAMinute() throws {
        let f = try Fixture()
        let gate = AdminGate(options: f.options(), logger: Fixture.logger)
        for k in 1...AdminGate.maxFailures {
            #expect(Self.check(gate, token: "guess-\(k)", peer: "127.0.0.1") == .unauthorized)
        }
        // Locked: even the right token is refused, and the answer says for how long.
        let locked = try #require(gate.check(Self.request(token: "t0ken"), peer: "127.0.0.1"))
        #expect(locked.status == .tooManyRequests)
        #expect(locked.message.contains("try again in 60 s"), "\(locked.message)")
        // Another client is not locked out.
        #expect(Self.check(gate, token: "t0ken", peer: "127.0.0.2") == nil)
        f.clock.advance(59_000_000)
        #expect(Self.check(gate, token: "t0ken", peer: "127.0.0.1") == .tooManyRequests)
        f.clock.advance(1_000_000)
        #expect(Self.check(gate, token: "t0ken", peer: "127.0.0.1") == nil)
        // A success clears the count: four more failures do not lock.
        for _ in 1..<AdminGate.maxFailures {
            #expect(Self.check(gate, token: "nope", peer: "127.0.0.1") == .unauthorized)
        }
        #expect(Self.check(gate, token: "t0ken", peer: "127.0.0.1") == nil)
    }

    @Test func failuresSpreadOverMoreThanAWindowDoNotLock() throws {
        let f = try Fixture()
        let gate = AdminGate(options: f.options(), logger: Fixture.logger)
        for _ in 0..<(3 * AdminGate.maxFailures) {
            #expect(Self.check(gate, token: "nope", peer: "127.0.0.1") == .unauthorized)
            f.clock.advance(AdminGate.window / Int64(AdminGate.maxFailures - 1))
        }
    }

    @Test func onANonLoopbackAddressAdminAnswersLoopbackClientsOnly() throws {
        let f = try Fixture()
        var o = f.options()
        o.host = "0.0.0.0"
        let gate = AdminGate(options: o, logger: Fixture.logger)
        let remote = try #require(gate.check(Self.request(token: "t0ken"), peer: "192.0.2.7"))
        #expect(remote.status == .forbidden)
        #expect(remote.message.contains("--admin-remote"))
        #expect(Self.check(gate, token: "t0ken", peer: nil) == .forbidden, "an unknown peer is not loopback")
        #expect(Self.check(gate, token: "t0ken", peer: "127.0.0.1") == nil)
        #expect(Self.check(gate, token: "t0ken", peer: "::1") == nil)
        #expect(Self.check(gate, token: "t0ken", peer: "::ffff:127.0.0.1") == nil)
        o.adminAllowRemote = true
        #expect(Self.check(AdminGate(options: o, logger: Fixture.logger), token: "t0ken", peer: "192.0.2.7") == nil)
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

    @Test func theServerTakesThePeerFromTheConnectionNotFromAHeader() async throws {
        // Over a real socket the gate sees the connection's address, whatever the client sends:
        // failures claiming to come from 203.0.113.9 (as an earlier version's header) lock out
        // 127.0.0.1.
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
