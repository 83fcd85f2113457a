import Foundation
import MosaicCore
@testable import MosaicStore
import MosaicTestSupport
import NIOCore
import Testing

/// Amounts whose `numeric` form is easy to get wrong: zero, signs, the smallest unit, Money's
/// whole range, zeros inside and at either end of a base-10000 digit, and trailing decimal zeros.
private let trickyAmounts = [
    "0", "1", "-1", "0.5", "-0.5", "1.1", "10000", "100000000", "-12345.678", "0.0001", "0.00010001", "99999999.9999",
    "0.000000000001", "0.0000000000001", "0.000000000000000000000001", "-0.000000000000000000000001",
    "0.000000000000000000000009", "123456789.000000000000000000000001", "1000000000000.000000000001",
    "12345678901234.999999999999999999999999", "-12345678901234", "0.100000000000000000000000",
    "0.002535", "3.75", "0.000125", "42.00005",
]

/// Money's extremes, which cancel out when added in this order.
private let extremeAmounts = ["-170141183460469.231731687303715884105727", "170141183460469.231731687303715884105727"]

/// Seeded amounts with every decimal position in play.
private func seededAmounts(_ n: Int) -> [Money] {
    var state: UInt64 = 11
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }
    return (0..<n).map { i in
        var units = Int128(next()) * Int128(next() % 1_000_000_007)
        for _ in 0..<Int(next() % 24) { units /= 10 }  // fewer decimals
        if i % 7 == 0 { units *= 1_000_000 }
        return Money(units: i % 3 == 0 ? -units : units)
    }
}

private func numericField(_ m: Money?) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: BinaryCopyWriter.maxNumericFieldBytes)
    let n = out.withUnsafeMutableBytes { raw in
        var w = BinaryCopyWriter(raw.baseAddress!)
        w.numeric(m)
        return w.count
    }
    return Array(out[..<n])
}

/// The binary `COPY` encoders, byte by byte.
@Suite("Binary COPY encoding")
struct BinaryCopyWriterTests {
    /// `numeric_recv`'s layout: length, digit count, weight, sign, display scale, base-10000 digits.
    @Test func numericsHaveTheServersLayout() throws {
        #expect(numericField(nil) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(numericField(.zero) == [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0])
        // 0.5: one digit 5000 of weight −1, scale 1.
        #expect(numericField(try Money(parsing: "0.5")) == [0, 0, 0, 10, 0, 1, 0xFF, 0xFF, 0, 0, 0, 1, 0x13, 0x88])
        // −12345.678: digits 1, 2345, 6780 from weight 1, negative, scale 3.
        #expect(numericField(try Money(parsing: "-12345.678"))
            == [0, 0, 0, 14, 0, 3, 0, 1, 0x40, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1A, 0x7C])
        // 10000: one digit 1 of weight 1, scale 0 (no trailing zero digit).
        #expect(numericField(try Money(parsing: "10000")) == [0, 0, 0, 10, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1])
        // 10⁻²⁴: one digit 1 of weight −6, scale 24.
        #expect(numericField(Money(units: 1)) == [0, 0, 0, 10, 0, 1, 0xFF, 0xFA, 0, 0, 0, 24, 0, 1])
        // 100000000.0001: digits 1, 0, 0, 1 (a zero digit inside stays), scale 4.
        #expect(numericField(try Money(parsing: "100000000.0001"))
            == [0, 0, 0, 16, 0, 4, 0, 2, 0, 0, 0, 4, 0, 1, 0, 0, 0, 0, 0, 1])
    }

    @Test func otherFieldsAreBigEndian() {
        var out = [UInt8](repeating: 0, count: 64)
        let text = Array("ü\t\\".utf8)
        let n = out.withUnsafeMutableBytes { raw in
            text.withUnsafeBytes { t in
                var w = BinaryCopyWriter(raw.baseAddress!)
                w.fieldCount(3)
                w.bigint(-2)
                w.double(1.5)
                w.double(nil)
                w.text(t)
                w.text(nil)
                return w.count
            }
        }
        #expect(Array(out[..<n]) == [0, 3]
            + [0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
            + [0, 0, 0, 8, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0]
            + [0xFF, 0xFF, 0xFF, 0xFF]
            + [0, 0, 0, 4] + text
            + [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(BinaryCopyWriter.header.count == 19)
    }
}

/// Binary `COPY` against a server: what it stores equals what text `COPY` stores.
@Suite("Binary COPY on PostgreSQL", .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct BinaryCopyPostgresTests {
    /// Each amount copied in binary and as its text into two tables: the same value, the same
    /// `::text` (so the same display scale) as Money's own text, the same `scale()`, the same
    /// exact sum; doubles come back with the same bits, NULLs as NULLs.
    @Test func numericsReadBackAsTheirText() throws {
        let db = try PostgresServer.database("binarynumeric")
        let pg = try Store(path: db.location)
        let amounts = try (extremeAmounts + trickyAmounts).map { try Money(parsing: $0) } + seededAmounts(2000)
        let doubles: [Double?] = [0, -0.0, 1.0 / 3, 1e300, -Double.leastNonzeroMagnitude, 812.25, nil, .greatestFiniteMagnitude]
        try pg.database.execute("CREATE TABLE bin (i bigint PRIMARY KEY, n numeric, d double precision, s text COLLATE \"C\")")
        try pg.database.execute("CREATE TABLE txt (LIKE bin)")

        var binary = ByteBufferAllocator().buffer(capacity: 1 << 20)
        binary.writeBytes(BinaryCopyWriter.header)
        var text = TextCopyBuffer()
        for i in 0...amounts.count {
            let money: Money? = i < amounts.count ? amounts[i] : nil
            let d = doubles[i % doubles.count]
            let s = i % 5 == 0 ? nil : "a\tb\\c\nd ü \(i)"
            let sBytes = s.map { Array($0.utf8) }
            binary.writeWithUnsafeMutableBytes(minimumWritableBytes: 256) { out in
                var w = BinaryCopyWriter(out.baseAddress!)
                w.fieldCount(4)
                w.bigint(Int64(i))
                w.numeric(money)
                w.double(d)
                if let sBytes { sBytes.withUnsafeBytes { w.text($0) } } else { w.text(nil) }
                return w.count
            }
            text.append([.int(Int64(i)), money.map { .text($0.description) } ?? .null, d.map { .double($0) } ?? .null,
                         s.map { .text($0) } ?? .null])
        }
        binary.writeInteger(BinaryCopyWriter.trailer)
        let session = try #require(pg.database.postgres)
        try session.copy(into: "bin", columns: ["i", "n", "d", "s"], format: .binary, chunks: [binary])
        try session.copy(into: "txt", columns: ["i", "n", "d", "s"], chunks: [text.take()])

        let read = "SELECT i, n::text, scale(n), encode(float8send(d), 'hex'), s FROM %@ ORDER BY i"
        let fromBinary = try pg.database.rows(read.replacingOccurrences(of: "%@", with: "bin"))
        #expect(fromBinary.count == amounts.count + 1)
        #expect(fromBinary == (try pg.database.rows(read.replacingOccurrences(of: "%@", with: "txt"))))
        for (row, money) in zip(fromBinary, amounts) {
            #expect(row[1].textValue == money.description, "\(money)")
        }
        #expect(fromBinary.last?[1] == .null)
        #expect(try pg.database.scalarInt("SELECT count(*) FROM bin JOIN txt USING (i) WHERE bin.n = txt.n") == Int64(amounts.count))
        #expect(try pg.moneyTotal("bin", "n") == amounts.reduce(Money.zero, +))
        #expect(try pg.database.scalarText("SELECT sum(n)::text FROM bin") == (try pg.database.scalarText("SELECT sum(n)::text FROM txt")))
    }

    /// A binary chunk that breaks the format is refused whole, with the server's message.
    @Test func aMalformedChunkIsRefused() throws {
        let db = try PostgresServer.database("binarybad")
        let pg = try Store(path: db.location)
        try pg.database.execute("CREATE TABLE t (n numeric)")
        var chunk = ByteBufferAllocator().buffer(capacity: 64)
        chunk.writeBytes(BinaryCopyWriter.header)
        chunk.writeInteger(Int16(1))
        chunk.writeInteger(Int32(10))
        chunk.writeBytes([0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10])  // digit 10000: not base 10000
        chunk.writeInteger(BinaryCopyWriter.trailer)
        let session = try #require(pg.database.postgres)
        #expect {
            try session.copy(into: "t", columns: ["n"], format: .binary, chunks: [chunk])
        } throws: { error in
            guard case .postgres(_, "22P03"?, let message, _) = error as? StoreError else { return false }
            return message.contains("invalid digit")
        }
        #expect(try pg.database.scalarInt("SELECT count(*) FROM t") == 0)
    }

    /// Rows with the tricky amounts (and no cost) through the request writer: on PostgreSQL
    /// (binary COPY, straight in and merged) the same rows, texts and exact total as on SQLite.
    @Test func requestIngestEqualsSQLiteExactly() throws {
        let db = try PostgresServer.database("binaryrequests")
        let pg = try Store(path: db.location)
        let lite = try ScratchStore().withCatalog()
        try pg.syncProviders(Catalog.default)
        var records = PostgresStoreTests.records(1500, seed: 17)
        let amounts = try trickyAmounts.map { try Money(parsing: $0) } + seededAmounts(600)
        for i in records.indices where i % 2 == 0 { records[i].cost = amounts[(i / 2) % amounts.count] }
        // A first run stores a third; the second run merges what overlaps it.
        for store in [lite.store, pg] {
            _ = try PostgresStoreTests.write(Array(records.prefix(500)), to: store, chunkBytes: 16 << 10)
            let (inserted, duplicates, _) = try PostgresStoreTests.write(records, to: store, chunkBytes: 16 << 10)
            #expect((inserted, duplicates) == (1000, 500))
        }
        let columns = "ts, key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens, latency_ms, ttft_ms, status, cost, request_id"
        #expect(try pg.database.rows("SELECT \(columns) FROM requests ORDER BY ts, key")
            == lite.store.database.rows("SELECT \(columns) FROM requests ORDER BY ts, key"))
        #expect(try pg.moneyTotal("requests", "cost") == lite.store.moneyTotal("requests", "cost"))
        #expect(try pg.moneyTotal("requests", "cost") == records.compactMap(\.cost).reduce(Money.zero, +))
        #expect(try pg.providerSummary() == lite.store.providerSummary())
        // The stored numerics' own text (their display scale), not only their value.
        #expect(try pg.database.rows("SELECT cost::text FROM requests ORDER BY ts, key")
            == lite.store.database.rows("SELECT cost FROM requests ORDER BY ts, key"))
    }
}
