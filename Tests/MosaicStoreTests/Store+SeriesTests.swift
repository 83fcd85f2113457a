import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

@Suite("Store request series")
struct StoreSeriesTests {
    static let hour: Int64 = 3_600_000_000
    static let t0 = Timestamp.parse("2026-10-05T00:00:00Z")!

    static func store(_ rows: [(Int64, String, String)]) throws -> (TemporaryDirectory, Store) {
        let tmp = TemporaryDirectory("series")
        let store = try Store(path: tmp.file("m.sqlite"))
        try store.syncProviders(.default)
        let run = try store.beginRun(source: "test", location: "test")
        let writer = try RequestWriter(store: store, runID: run)
        for (i, (ts, provider, cost)) in rows.enumerated() {
            _ = try writer.insert(RequestRecord(timestamp: ts, provider: provider, model: "m", inputTokens: 10,
                                                outputTokens: 2, cost: Money(cost)), key: Int64(i))
        }
        return (tmp, store)
    }

    @Test func zeroFillsGapsAndMarksPartialEnds() throws {
        let (tmp, store) = try Self.store([
            (Self.t0 + Self.hour / 2, "openai", "0.1"),          // 00:30, first request (mid-hour)
            (Self.t0 + Self.hour / 2 + 1, "anthropic", "0.25"),
            (Self.t0 + 3 * Self.hour + 5, "openai", "0.000001"), // 03:00:00.000005, last
        ])
        _ = tmp
        let series = try store.requestSeries(interval: Self.hour, by: .provider)
        #expect(series.map(\.group) == ["anthropic", "openai"])
        let openai = series[1]
        #expect(openai.start == Self.t0)
        #expect(openai.requests == [1, 0, 0, 1])
        #expect(openai.cost.map(\.description) == ["0.1", "0", "0", "0.000001"])
        #expect(openai.inputTokens == [10, 0, 0, 10])
        #expect(openai.partial == [true, false, false, true])   // the window starts at 00:30 and ends at 03:00:00.000006
        #expect(series[0].requests == [1, 0, 0, 0])              // every group spans the same intervals
        let all = try store.requestSeries(interval: Self.hour, by: .all)
        #expect(all.count == 1 && all[0].requests == [2, 0, 0, 1])
    }

    /// A minute grid from year 1 to 2026 is a billion intervals: refused with a message before
    /// anything is allocated (`mosaic series --since 0001-01-01 --interval 1m` was killed for
    /// its memory). The largest allowed window still works.
    @Test func aWindowWithTooManyIntervalsIsRefused() throws {
        let (tmp, store) = try Self.store([(Self.t0 + 10, "openai", "1")])
        _ = tmp
        let minute: Int64 = 60_000_000
        let year1 = Timestamp.parse("0001-01-01T00:00:00Z")!
        #expect(throws: StoreError.self) { try store.requestSeries(interval: minute, by: .provider, from: year1) }
        do {
            _ = try store.requestSeries(interval: minute, by: .provider, from: year1)
        } catch {
            #expect(error.description.contains("more than the 1000000 a series may have"), "\(error)")
        }
        let from = Self.t0 - Int64(Store.maximumSeriesIntervals - 1) * minute
        let longest = try store.requestSeries(interval: minute, by: .provider, from: from)
        #expect(longest.first?.count == Store.maximumSeriesIntervals)
        #expect(throws: StoreError.self) { try store.requestSeries(interval: minute, by: .provider, from: from - minute) }
    }

    @Test func anAlignedWindowHasNoPartialIntervals() throws {
        let (tmp, store) = try Self.store([(Self.t0 + 10, "openai", "1"), (Self.t0 + Self.hour + 10, "openai", "2")])
        _ = tmp
        let s = try #require(try store.requestSeries(interval: Self.hour, by: .provider, from: Self.t0, to: Self.t0 + 3 * Self.hour).first)
        #expect(s.requests == [1, 1, 0])
        #expect(s.partial == [false, false, false])
        #expect(try store.requestSeries(interval: Self.hour, by: .provider, from: Self.t0 + 5 * Self.hour).isEmpty)
    }
}

/// A name stored in two Unicode spellings (é as one code point and as e with a combining
/// accent) is one group on both engines, labelled in NFC, with both spellings' requests and
/// cost. PostgreSQL groups bytes and sent the two as two rows, and the second replaced the
/// first: an audit saw 144 requests and 1.44 USD a day where the data held 288 and 4.32.
@Suite("Store request series: names in two Unicode spellings")
struct StoreSeriesSpellingTests {
    static let nfc = "\u{E9}cole", nfd = "e\u{301}cole"

    static func write(_ store: Store) throws {
        try store.syncProviders(.default)
        let run = try store.beginRun(source: "test", location: "test")
        try store.database.transaction {
            let writer = try RequestWriter(store: store, runID: run)
            for i in 0..<6 {
                let nfd = i % 2 == 1
                _ = try writer.insert(RequestRecord(timestamp: StoreSeriesTests.t0 + Int64(i) * 60_000_000, tenant: nfd ? Self.nfd : Self.nfc,
                                                    provider: "openai", model: "m", inputTokens: 10, outputTokens: 2,
                                                    cost: Money(nfd ? "0.02" : "0.01")), key: Int64(i))
            }
            try writer.finish()
        }
    }

    static func check(_ store: Store) throws {
        let series = try store.requestSeries(interval: StoreSeriesTests.hour, by: .tenant)
        #expect(series.count == 1)
        let s = try #require(series.first)
        #expect(Array(s.group.utf8) == Array(Self.nfc.utf8))
        #expect(s.requests == [6])
        #expect(s.cost.map(\.description) == ["0.09"])
        #expect(s.inputTokens == [60])
    }

    @Test func sqlite() throws {
        let tmp = TemporaryDirectory("spelling")
        let store = try Store(path: tmp.file("m.sqlite"))
        try Self.write(store)
        try Self.check(store)
    }

    @Test(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason))) func postgres() throws {
        let db = try PostgresServer.database("spelling")
        let store = try Store(path: db.location)
        try Self.write(store)
        try Self.check(store)
    }
}
