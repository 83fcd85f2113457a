import Foundation
import MosaicCore
@testable import MosaicStore
import MosaicTestSupport
import Testing

/// The typed reads of a PostgreSQL statement decode `bigint`, `double precision`, text and
/// `numeric` from the cells' binary bytes themselves: each is checked against the value that
/// was written, against the server's own text of it, and against SQLite's read of the same rows,
/// on a whole read and on a streamed one.
@Suite("PostgreSQL statement reads", .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresStatementTests {
    /// One row of the check table: nil is NULL. `m` is the text the `numeric` is written from.
    struct Row {
        var i: Int64?
        var d: Double?
        var t: String?
        var m: String?
    }

    static let rows: [Row] = [
        Row(i: Int64.min, d: -0.0, t: "", m: "-170141183460469.231731687303715884105727"),     // Money's extremes
        Row(i: Int64.max, d: .greatestFiniteMagnitude, t: "ünïcödé ✓ 日本語 🎉", m: "170141183460469.231731687303715884105727"),
        Row(i: -1, d: -1.5, t: "o'brien", m: "-0.000000000000000000000001"),
        Row(i: -1_000_000_000_000_000, d: Double.leastNonzeroMagnitude, t: "tab\there\nnew line", m: "0.123456789012345678901234"),  // 1938; subnormal
        Row(i: 4_102_444_800_000_000, d: .infinity, t: "e\u{301} (combining)", m: "12345678901234.50"),         // 2100
        Row(i: 0, d: 0, t: "a", m: "0"),
        Row(i: 10_000, d: -.infinity, t: "back\\slash", m: "10000"),
        Row(i: 9999, d: 0.1, t: "x", m: "0.0001"),
        Row(i: 1_714_521_600_000_000, d: 3.141592653589793, t: "long " + String(repeating: "é", count: 300), m: "99999999.9999"),
        Row(i: 42, d: 1e-300, t: "1e3", m: "1e3"),
        Row(i: -42, d: -2.5e300, t: "-0.5", m: "-0.5"),
        Row(i: nil, d: nil, t: nil, m: nil),
        // Not amounts: more than 24 decimals, beyond Money's range (10⁴⁰; −2¹²⁷ units), NaN, infinities.
        Row(i: 1, d: 1, t: "n", m: "0.0000000000000000000000001"),
        Row(i: 2, d: 2, t: "n", m: "1e40"),
        Row(i: 3, d: 3, t: "n", m: "-170141183460469.231731687303715884105728"),
        Row(i: 4, d: 4, t: "n", m: "NaN"),
        Row(i: 5, d: 5, t: "n", m: "Infinity"),  // read as "0" before: a sum over it came out 0
        Row(i: 6, d: 6, t: "n", m: "-Infinity"),
    ]

    /// What the typed reads give for one row: every accessor the store's readers use.
    struct Read: Equatable {
        var nulls: [Bool]
        var i: Int64
        var d: Double  // equal as numbers (SQLite stores -0.0 as 0); the bits are checked apart
        var t: String
        var mText: String
        var mValue: SQLValue
        var money: Result<Money, StoreError>

        static func == (a: Read, b: Read) -> Bool {
            a.nulls == b.nulls && a.i == b.i && a.d == b.d && a.t == b.t && a.mText == b.mText && a.mValue == b.mValue
                && "\(a.money)" == "\(b.money)"
        }
    }

    static func read(_ database: Database, streaming: Bool) throws -> [Read] {
        let stmt = try database.prepare(streaming: streaming, "SELECT n, i, d, t, m FROM checks WHERE n >= ?1 ORDER BY n")
        try stmt.bind(1, Int64(0))
        var out: [Read] = []
        while try stmt.step() {
            let money: Result<Money, StoreError>
            do { money = .success(try stmt.money(4, table: "checks", column: "m")) } catch { money = .failure(error) }
            out.append(Read(nulls: (1...4).map { stmt.isNull($0) }, i: stmt.int64(1), d: stmt.double(2), t: stmt.text(3),
                            mText: stmt.text(4), mValue: stmt.value(4), money: money))
        }
        return out
    }

    /// Writes the rows; on SQLite the amount is stored as Mosaic stores money (its canonical
    /// text), and a `numeric` that is not an amount as the server's own text of it.
    static func write(_ database: Database, postgres: Bool) throws {
        try database.execute(postgres
            ? "CREATE TABLE checks (n BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, m NUMERIC)"
            : "CREATE TABLE checks (n INTEGER PRIMARY KEY, i INTEGER, d REAL, t TEXT, m TEXT)")
        let insert = try database.prepare("INSERT INTO checks (n, i, d, t, m) VALUES (?, ?, ?, ?, ?)")
        for (n, r) in rows.enumerated() {
            var m = r.m.map { SQLValue.text($0) } ?? .null
            if !postgres, let text = r.m { m = .text((try? Money(parsing: text))?.description ?? serverText[text]!) }
            try insert.run([.int(Int64(n)), r.i.map { .int($0) } ?? .null, r.d.map { .double($0) } ?? .null,
                            r.t.map { .text($0) } ?? .null, m])
        }
    }

    /// PostgreSQL's `numeric::text` of each value that is not an amount.
    static let serverText = [
        "0.0000000000000000000000001": "0.0000000000000000000000001",
        "1e40": "1" + String(repeating: "0", count: 40),
        "-170141183460469.231731687303715884105728": "-170141183460469.231731687303715884105728",
        "NaN": "NaN",
        "Infinity": "Infinity",
        "-Infinity": "-Infinity",
    ]

    @Test func typedReadsGiveTheWrittenValuesTheServersTextAndSQLitesReads() throws {
        let db = try PostgresServer.database("typed_reads")
        let pg = try Database(postgres: db.url)
        try Self.write(pg, postgres: true)
        let lite = try ScratchStore()
        try Self.write(lite.store.database, postgres: false)

        let whole = try Self.read(pg, streaming: false)
        let streamed = try Self.read(pg, streaming: true)
        let sqlite = try Self.read(lite.store.database, streaming: false)
        #expect(whole.count == Self.rows.count)
        #expect(streamed == whole)
        #expect(streamed.map(\.d.bitPattern) == whole.map(\.d.bitPattern))
        #expect(sqlite == whole)

        // Independently of both readers: the values written, and the server's text of the numeric.
        let texts = try pg.rows("SELECT m::text FROM checks ORDER BY n").map { $0[0] }
        for (k, (row, read)) in zip(Self.rows, whole).enumerated() {
            #expect(read.nulls == [row.i == nil, row.d == nil, row.t == nil, row.m == nil], "row \(k)")
            #expect(read.i == row.i ?? 0, "row \(k)")
            #expect(read.d.bitPattern == (row.d ?? 0).bitPattern, "row \(k)")
            #expect(read.t == row.t ?? "", "row \(k)")
            guard let m = row.m, case .text(let server) = texts[k] else {
                #expect(read.mValue == .null && read.mText == "" && "\(read.money)" == "\(Result<Money, StoreError>.success(.zero))")
                continue
            }
            if let amount = try? Money(parsing: m) {
                #expect(try Money(parsing: server) == amount, "row \(k)")
                #expect(read.mText == amount.description, "row \(k)")
                #expect(read.mValue == .text(amount.description), "row \(k)")
                #expect("\(read.money)" == "\(Result<Money, StoreError>.success(amount))", "row \(k)")
            } else {
                #expect(server == Self.serverText[m], "row \(k)")
                #expect(read.mText == server, "row \(k)")
                #expect("\(read.money)" == "\(Result<Money, StoreError>.failure(.corruptValue(table: "checks", column: "m", value: server)))",
                        "row \(k)")
            }
        }
    }

    /// A `numeric` built from random base-10000 digits, weights and scales decodes to the
    /// amount the server's own text of it parses to (or, when that text is not an amount, to
    /// that text).
    @Test func numericDigitsDecodeAsTheirText() throws {
        let db = try PostgresServer.database("numeric_digits")
        let pg = try Database(postgres: db.url)
        var state: UInt64 = 17
        func next(_ n: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % n
        }
        var literals: [String] = []
        for _ in 0..<2000 {
            let whole = (0..<next(17)).map { _ in String(next(10)) }.joined()
            let fraction = (0..<next(30)).map { _ in String(next(10)) }.joined()
            let sign = next(3) == 0 ? "-" : ""
            literals.append(sign + (whole.isEmpty ? "0" : whole) + (fraction.isEmpty ? "" : "." + fraction))
        }
        try pg.execute("CREATE TABLE digits (n BIGINT PRIMARY KEY, m NUMERIC)")
        let insert = try pg.prepare("INSERT INTO digits VALUES (?, ?)")
        for (n, l) in literals.enumerated() { try insert.run([.int(Int64(n)), .text(l)]) }
        let stmt = try pg.prepare("SELECT m, m::text FROM digits ORDER BY n")
        var amounts = 0, others = 0
        while try stmt.step() {
            let server = stmt.value(1).textValue!
            if let amount = try? Money(parsing: server) {
                amounts += 1
                #expect(try stmt.money(0, table: "digits", column: "m") == amount, "\(server)")
                #expect(stmt.text(0) == amount.description, "\(server)")
            } else {
                others += 1
                #expect(stmt.text(0) == server)
            }
        }
        #expect(amounts > 1000 && others > 100, "\(amounts) amounts, \(others) others")
    }

    /// Every request, read back by the trainers' streamed read on both stores, is the same
    /// record: across several batches (so past the `FETCH` sent ahead), with instants before
    /// 1970 and after 2038, text that is not ASCII and costs to the last of 24 decimals.
    @Test func streamedRequestsMatchSQLite() throws {
        let db = try PostgresServer.database("stream_requests")
        let pg = try Store(path: db.location)
        try pg.syncProviders(Catalog.default)
        let lite = try ScratchStore().withCatalog()
        var records = PostgresStoreTests.records(2 * PostgresStatement.streamBatch + 500, seed: 23)
        records[0].timestamp = -1_000_000_000_000_000
        records[1].timestamp = 4_102_444_800_000_000
        records[2].tenant = "日本語 🎉"
        records[2].region = "é"
        records[3].cost = Money("999999999999.999999999999999999999999")
        records[4].cost = Money("0.000000000000000000000001")
        records[5].latencyMs = Double.leastNonzeroMagnitude  // 5e-324
        records[6].inputTokens = Int(Int64.max)
        for store in [lite.store, pg] { _ = try PostgresStoreTests.write(records, to: store) }
        var fromPostgres: [RequestRecord] = [], fromSQLite: [RequestRecord] = []
        try pg.forEachRequest { fromPostgres.append($0) }
        try lite.store.forEachRequest { fromSQLite.append($0) }
        #expect(fromPostgres.count == records.count && fromSQLite.count == records.count)
        // The first difference only: a failure here must not print 40,000 records.
        if let k = fromPostgres.indices.first(where: { $0 < fromSQLite.count && fromPostgres[$0] != fromSQLite[$0] }) {
            Issue.record("request \(k) differs: PostgreSQL \(fromPostgres[k]), SQLite \(fromSQLite[k])")
        }
        let missing = Set(records).subtracting(fromPostgres)
        #expect(missing.isEmpty, "\(missing.count) records written were not read back, e.g. \(String(describing: missing.first))")
    }

    /// A streamed read whose later batch fails (the `FETCH` that was sent ahead) reports the
    /// server's error when the reader reaches it, after every row before it, and leaves the
    /// store usable.
    @Test func aFailingLaterBatchFailsWhenReached() throws {
        let db = try PostgresServer.database("stream_error")
        let store = try Store(path: db.location)
        let batch = PostgresStatement.streamBatch
        let stmt = try store.database.prepare(streaming: true, "SELECT n, 1 / (n - ?1) FROM generate_series(1, ?2) AS n")
        try stmt.bind([.int(Int64(batch + batch / 2)), .int(Int64(3 * batch))])
        var rows = 0
        #expect {
            while try stmt.step() { rows += 1 }
        } throws: { error in
            guard case .postgres(_, "22012"?, _, _) = error as? StoreError else { return false }
            return true
        }
        #expect(rows == batch)
        #expect(try store.database.scalarInt("SELECT 1") == 1)
    }
}
