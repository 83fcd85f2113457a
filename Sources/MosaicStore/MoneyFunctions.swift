import CSQLite
import MosaicCore

/// SQL functions for exact money, registered on every connection.
///
/// Money columns hold canonical decimal text (see `Money`). SQLite's own `sum()` would turn
/// them into doubles, so Mosaic sums them with:
/// - `money_sum(x)`: aggregate; exact sum of decimal text (NULLs are skipped, like `sum`);
///   NULL when every input is NULL; an error on a malformed amount or a floating-point input.
/// - `money_mul(x, n)`: scalar; an amount times an integer count, exact.
enum MoneyFunctions {
    struct Accumulator {
        var sum: Int128
        var count: Int64
        var failed: Int64
    }

    static func register(on db: Database) throws(StoreError) {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS
        var rc = sqlite3_create_function_v2(
            db.handle, "money_sum", 1, flags, nil, nil,
            { ctx, _, args in MoneyFunctions.step(ctx, args) },
            { ctx in MoneyFunctions.final(ctx) }, nil)
        if rc != SQLITE_OK { throw db.error(rc, sql: "create_function money_sum") }
        rc = sqlite3_create_function_v2(
            db.handle, "money_mul", 2, flags, nil,
            { ctx, _, args in MoneyFunctions.multiply(ctx, args) }, nil, nil, nil)
        if rc != SQLITE_OK { throw db.error(rc, sql: "create_function money_mul") }
    }

    /// Reads a money value; nil for NULL, an error message for anything not an amount.
    static func read(_ value: OpaquePointer?) -> Result<Money?, MoneyParseError> {
        switch sqlite3_value_type(value) {
        case SQLITE_NULL:
            return .success(nil)
        case SQLITE_INTEGER:
            return .success(Money(units: Int128(sqlite3_value_int64(value)) * Money.unitsPerWhole))
        case SQLITE_FLOAT:
            return .failure(.invalidCharacter("floating-point value \(sqlite3_value_double(value))"))
        default:
            guard let p = sqlite3_value_text(value) else { return .success(nil) }
            let n = Int(sqlite3_value_bytes(value))
            return Money.parse(UnsafeRawBufferPointer(start: p, count: n)).map { Optional($0) }
        }
    }

    static func step(_ ctx: OpaquePointer?, _ args: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let raw = sqlite3_aggregate_context(ctx, Int32(MemoryLayout<Accumulator>.stride)) else {
            sqlite3_result_error_nomem(ctx)
            return
        }
        let acc = raw.bindMemory(to: Accumulator.self, capacity: 1)
        if acc.pointee.failed != 0 { return }
        switch read(args?[0]) {
        case .success(nil):
            return
        case .success(let m?):
            let (s, o) = acc.pointee.sum.addingReportingOverflow(m.units)
            if o {
                acc.pointee.failed = 1
                sqlite3_result_error(ctx, "money_sum: overflow", -1)
                return
            }
            acc.pointee.sum = s
            acc.pointee.count += 1
        case .failure(let e):
            acc.pointee.failed = 1
            sqlite3_result_error(ctx, "money_sum: \(e.description)", -1)
        }
    }

    static func final(_ ctx: OpaquePointer?) {
        guard let raw = sqlite3_aggregate_context(ctx, 0) else {
            sqlite3_result_null(ctx)
            return
        }
        let acc = raw.bindMemory(to: Accumulator.self, capacity: 1)
        if acc.pointee.failed != 0 {
            sqlite3_result_error(ctx, "money_sum: malformed amount or overflow", -1)
            return
        }
        if acc.pointee.count == 0 {
            sqlite3_result_null(ctx)
            return
        }
        let text = Money(units: acc.pointee.sum).description
        sqlite3_result_text(ctx, text, -1, sqliteTransient)
    }

    static func multiply(_ ctx: OpaquePointer?, _ args: UnsafeMutablePointer<OpaquePointer?>?) {
        switch read(args?[0]) {
        case .success(nil):
            sqlite3_result_null(ctx)
        case .success(let m?):
            let n = sqlite3_value_int64(args?[1])
            let (v, o) = m.units.multipliedReportingOverflow(by: Int128(n))
            if o { sqlite3_result_error(ctx, "money_mul: overflow", -1); return }
            sqlite3_result_text(ctx, Money(units: v).description, -1, sqliteTransient)
        case .failure(let e):
            sqlite3_result_error(ctx, "money_mul: \(e.description)", -1)
        }
    }
}
