import Foundation
import MosaicCore
@testable import MosaicServer
import Testing

/// Decisions whose outcome never comes are released: after the TTL by the periodic sweep, and at
/// once when the ring of pending decisions wraps onto them. Each release settles the attempt as
/// cancelled, so the provider's in-flight count (which least-connections ranks by, and the
/// breakers' half-open probes wait on) returns to what the reported traffic left, and
/// `mosaic_decisions_expired_total` counts it.
@Suite struct DecisionExpiryTests {
    static let body = #"{"tenant":"acme","model_family":"gpt-4o","prompt_tokens":200,"expected_output_tokens":100,"slo_ms":30000}"#

    static func route(_ service: RoutingService) throws -> String {
        var bytes = Array(body.utf8)
        let answer = try bytes.withUnsafeMutableBytes { try service.route(body: UnsafeRawBufferPointer($0)) }
        let o = try object(answer)
        return try #require((o["selected"] as? [String: Any])?["provider"] as? String)
    }

    static func inFlight(_ service: RoutingService, now: Int64) -> Int {
        service.bundle.router.health(now: now).map(\.inFlight).reduce(0, +)
    }

    static func expired(_ service: RoutingService) -> String? {
        service.metricsText().split(separator: "\n").first { $0.hasPrefix("mosaic_decisions_expired_total ") }.map(String.init)
    }

    @Test func unreportedDecisionsAreReleasedAfterTheTTL() throws {
        let f = try Fixture()
        var o = f.options()
        o.decisionTTLSeconds = 60
        let service = try RoutingService(options: o, logger: Fixture.logger)
        for _ in 0..<5 { _ = try Self.route(service) }
        #expect(Self.inFlight(service, now: f.clock.now) == 5)
        // Within the TTL nothing is released.
        f.clock.advance(59_000_000)
        service.sweepExpired(now: f.clock.now)
        #expect(Self.inFlight(service, now: f.clock.now) == 5)
        #expect(Self.expired(service) == "mosaic_decisions_expired_total 0")
        // One decision made later stays; the five older ones go.
        _ = try Self.route(service)
        f.clock.advance(2_000_000)
        service.sweepExpired(now: f.clock.now)
        #expect(Self.inFlight(service, now: f.clock.now) == 1)
        #expect(Self.expired(service) == "mosaic_decisions_expired_total 5")
    }

    @Test func aFullRingReleasesTheOldestDecision() throws {
        let f = try Fixture()
        var o = f.options()
        o.pendingCapacity = 64   // the smallest ring
        let service = try RoutingService(options: o, logger: Fixture.logger)
        for _ in 0..<70 { _ = try Self.route(service) }
        #expect(Self.inFlight(service, now: f.clock.now) == 64)
        #expect(Self.expired(service) == "mosaic_decisions_expired_total 6")
    }
}
