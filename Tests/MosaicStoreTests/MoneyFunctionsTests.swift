import MosaicCore
import MosaicStore
import Testing

/// `money_sum` and `money_mul`, on an in-memory database with one `amounts(g, x)` table.
@Suite("SQL money functions")
struct MoneyFunctionsTests {
    let db: Database

    init() throws {
        db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE amounts(g TEXT, x)")
    }

    func insert(_ values: [SQLValue], group: String = "a") throws {
        let stmt = try db.prepare("INSERT INTO amounts(g, x) VALUES (?, ?)")
        for v in values { try stmt.run([.text(group), v]) }
    }

    func sum(_ whereClause: String = "1") throws -> String? {
        try db.scalarText("SELECT money_sum(x) FROM amounts WHERE \(whereClause)")
    }

    @Test func sumsDecimalTextExactly() throws {
        let texts = ["0.1", "0.2", "5.0000000000000004e-08", "-0.000000000000000000000001", "12.50", "1E3", "+2"]
        try insert(texts.map { .text($0) })
        let expected = texts.map { Money($0)! }.sum()
        #expect(try sum() == expected.description)
        #expect(expected.description == "1014.800000050000000000000003")
        // SQLite's own sum goes through doubles and cannot say this.
        let native = try db.rows("SELECT sum(x) FROM amounts")[0][0]
        #expect(native.textValue != expected.description)
    }

    @Test func sumsTenThousandSmallPricesExactly() throws {
        var rng = SeededRandom(seed: 4).stream("money-sum")
        var texts: [String] = []
        for _ in 0..<10_000 {
            let d = rng.next() % 1_000_000_000_000
            texts.append("0.000000" + String(d))
        }
        try db.transaction { try insert(texts.map { .text($0) }) }
        #expect(try sum() == texts.map { Money($0)! }.sum().description)
    }

    @Test func skipsNulls() throws {
        try insert([.text("1.5"), .null, .text("-0.25"), .null])
        #expect(try sum() == "1.25")
    }

    @Test func allNullOrNoRowsIsNull() throws {
        try insert([.null, .null])
        #expect(try db.rows("SELECT money_sum(x) FROM amounts") == [[.null]])
        #expect(try db.rows("SELECT money_sum(x) FROM amounts WHERE 0") == [[.null]])
    }

    @Test func integersAreWholeUnits() throws {
        try insert([.int(3), .text("0.5")])
        #expect(try sum() == "3.5")
    }

    @Test func sumsPerGroup() throws {
        try insert([.text("0.1"), .text("0.2")], group: "a")
        try insert([.text("0.3"), .null], group: "b")
        try insert([.null], group: "c")
        let rows = try db.rows("SELECT g, money_sum(x) FROM amounts GROUP BY g ORDER BY g")
        #expect(rows == [[.text("a"), .text("0.3")], [.text("b"), .text("0.3")], [.text("c"), .null]])
    }

    @Test(arguments: ["abc", "", "1.2.3", "0.0000000000000000000000001", "1e15", " 1"])
    func malformedTextIsAnError(_ bad: String) throws {
        try insert([.text("1"), .text(bad), .text("2")])
        let error = #expect(throws: StoreError.self) { _ = try sum() }
        #expect(sqliteMessage(error)?.hasPrefix("money_sum: ") == true, "\(String(describing: error))")
    }

    @Test func realInputIsAnError() throws {
        try insert([.text("1"), .double(0.1)])
        let error = #expect(throws: StoreError.self) { _ = try sum() }
        #expect(sqliteMessage(error)?.contains("money_sum") == true)
        #expect(sqliteMessage(error)?.contains("floating-point") == true || sqliteMessage(error)?.contains("malformed") == true)
    }

    @Test func overflowIsAnError() throws {
        try insert([.text("100000000000000"), .text("100000000000000")])  // 2·10^38 units > Int128.max
        let error = #expect(throws: StoreError.self) { _ = try sum() }
        // Said as what it is, with no SQL and the store named once (audit F10).
        let text = error?.description ?? ""
        #expect(text.hasPrefix(":memory:: a money total is beyond what Mosaic holds exactly (about ±1.7 × 10¹⁴)"), "\(text)")
        #expect(!text.contains("SELECT money_sum") && !text.contains("SQLite error"), "\(text)")
        let product = #expect(throws: StoreError.self) { _ = try db.scalarText("SELECT money_mul('100000000000000', 2)") }
        #expect(product?.description.contains("a money total is beyond") == true)
    }

    @Test func multipliesExactly() throws {
        #expect(try db.scalarText("SELECT money_mul('0.0000025', 1000000)") == "2.5")
        #expect(try db.scalarText("SELECT money_mul('5.0000000000000004e-08', 3)") == "0.000000150000000000000012")
        #expect(try db.scalarText("SELECT money_mul('-1.1', 3)") == "-3.3")
        #expect(try db.scalarText("SELECT money_mul('12.34', 0)") == "0")
        #expect(try db.scalarText("SELECT money_mul(2, 3)") == "6")
        #expect(try db.rows("SELECT money_mul(NULL, 3)") == [[.null]])
    }

    @Test func multiplyingBadInputIsAnError() {
        #expect(throws: StoreError.self) { _ = try db.scalarText("SELECT money_mul('abc', 2)") }
        #expect(throws: StoreError.self) { _ = try db.scalarText("SELECT money_mul(0.1, 2)") }
        #expect(throws: StoreError.self) {
            _ = try db.scalarText("SELECT money_mul('100000000000000', 2)")   // overflow
        }
    }

    @Test func composesWithSum() throws {
        try insert([.text("0.000001"), .text("0.000002")])
        #expect(try db.scalarText("SELECT money_sum(money_mul(x, 1000)) FROM amounts") == "0.003")
    }

    @Test func availableOnEveryConnection() throws {
        let other = try Database(path: ":memory:")
        #expect(try other.scalarText("SELECT money_sum(x) FROM (SELECT '0.1' AS x UNION ALL SELECT '0.2')") == "0.3")
    }
}
