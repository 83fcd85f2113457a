import MosaicCore

/// One table's check after ``Store/copy(to:)``: rows and exact money totals on both sides.
public struct StoreCopyCheck: Sendable, Equatable, Codable {
    public var table: String
    public var sourceRows: Int
    public var targetRows: Int
    /// Per money column: the exact total in the source and in the target.
    public var money: [MoneyTotal]

    public struct MoneyTotal: Sendable, Equatable, Codable {
        public var column: String
        public var source: Money
        public var target: Money
    }

    public var matches: Bool { sourceRows == targetRows && money.allSatisfy { $0.source == $0.target } }
}

extension Store {
    /// The tables a copy moves, parents before children, with their money columns.
    static let copiedTables: [(name: String, money: [String])] = [
        ("providers", []),
        ("prices", ["price"]),
        ("ingest_runs", []),
        ("requests", ["cost"]),
        ("quarantine", []),
        ("usage_buckets", []),
        ("billing_lines", ["billed_cost", "effective_cost", "list_cost", "contracted_cost", "list_unit_price"]),
        ("checkpoints", []),
        ("models", []),
        ("cache_hits", ["saved"]),
    ]

    /// Copies every row of this store into `target`, which must hold no rows yet (an SQLite
    /// file or a PostgreSQL database, either way round). Runs in one transaction on the
    /// target: the rows are written (`COPY` on PostgreSQL), then row counts and exact money
    /// totals are compared table by table, and the transaction commits only when all match.
    ///
    /// - Returns: the checks, every one matching.
    /// - Throws: ``StoreError/refused(path:reason:)`` when the target already has rows or
    ///   a check fails (the target is left as it was).
    public func copy(to target: Store) throws(StoreError) -> [StoreCopyCheck] {
        for t in Store.copiedTables {
            let n = try target.database.scalarInt("SELECT count(*) FROM \(t.name)") ?? 0
            if n > 0 {
                throw .refused(path: target.path, reason: "the target already holds \(n) rows in \(t.name); copy into an empty store")
            }
        }
        var checks: [StoreCopyCheck] = []
        do {
            try target.database.transaction {
                for t in Store.copiedTables {
                    try copyTable(t.name, to: target)
                }
                if target.database.dialect == .postgres {
                    for t in ["ingest_runs", "quarantine", "billing_lines", "models"] {
                        try target.database.execute(
                            "SELECT setval(pg_get_serial_sequence('\(t)', 'id'), coalesce((SELECT max(id) FROM \(t)), 0) + 1, false)")
                    }
                }
                for t in Store.copiedTables {
                    var check = StoreCopyCheck(
                        table: t.name, sourceRows: Int(try database.scalarInt("SELECT count(*) FROM \(t.name)") ?? 0),
                        targetRows: Int(try target.database.scalarInt("SELECT count(*) FROM \(t.name)") ?? 0), money: [])
                    for c in t.money {
                        check.money.append(.init(column: c, source: try moneyTotal(t.name, c),
                                                 target: try target.moneyTotal(t.name, c)))
                    }
                    checks.append(check)
                }
                if let bad = checks.first(where: { !$0.matches }) {
                    throw StoreError.refused(path: target.path, reason: "the copy of \(bad.table) does not match its source (\(bad)); nothing was committed")
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw .notAStore(path: target.path, reason: "\(error)")
        }
        return checks
    }

    /// The exact total of a money column (zero for no rows).
    func moneyTotal(_ table: String, _ column: String) throws(StoreError) -> Money {
        let text = try database.scalarText("SELECT \(database.dialect.moneySum(column)) FROM \(table)") ?? "0"
        guard let m = try? Money(parsing: text) else { throw .corruptValue(table: table, column: column, value: text) }
        return m
    }

    private func copyTable(_ table: String, to target: Store) throws(StoreError) {
        let read = try database.prepare("SELECT * FROM \(table)")
        var columns: [String] = []
        if target.database.dialect == .postgres {
            var chunk = TextCopyBuffer()
            while try read.step() {
                if columns.isEmpty { columns = (0..<read.columnCount).map { read.columnName($0) } }
                chunk.append((0..<read.columnCount).map { read.value($0) })
                if chunk.isFull {
                    try target.database.postgres!.copy(into: table, columns: columns, chunks: [chunk.take()])
                }
            }
            if !chunk.isEmpty { try target.database.postgres!.copy(into: table, columns: columns, chunks: [chunk.take()]) }
            return
        }
        var insert: Statement?
        while try read.step() {
            if insert == nil {
                columns = (0..<read.columnCount).map { read.columnName($0) }
                insert = try target.database.prepare(
                    "INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))")
            }
            try insert!.run((0..<read.columnCount).map { read.value($0) })
        }
    }
}
