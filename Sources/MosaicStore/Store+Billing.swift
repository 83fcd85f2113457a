import MosaicCore

/// What an upsert did to one row.
public enum UpsertOutcome: Sendable, Equatable {
    case inserted, updated, unchanged
}

/// Writes billing lines and usage buckets, upserting on their natural keys: a row seen again
/// is updated in place when its values changed and left alone otherwise, so re-running a pull
/// over an overlapping window neither duplicates nor loses rows. The caller owns the
/// transaction.
public final class BillingWriter {
    let store: Store
    let runID: Int64?
    let upsertLine: Statement
    let upsertBucket: Statement
    let lineExists: Statement
    let bucketExists: Statement

    static let lineColumns = [
        "source", "natural_key", "billing_account_id", "billing_account_name", "sub_account_id", "sub_account_name",
        "billing_period_start", "billing_period_end", "charge_period_start", "charge_period_end", "provider_name",
        "publisher_name", "invoice_issuer_name", "service_name", "service_category", "charge_category",
        "charge_class", "charge_description", "sku_id", "resource_id", "region_id", "billed_cost",
        "effective_cost", "list_cost", "contracted_cost", "list_unit_price", "billing_currency",
        "consumed_quantity", "consumed_unit", "pricing_quantity", "pricing_unit", "tags", "team", "tenant",
        "project", "extra", "run_id",
    ]

    static let bucketIdentity = ["source", "account", "bucket_start", "provider", "model", "project", "api_key", "dimensions"]
    static let bucketValues = [
        "bucket_end", "requests", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens",
        "audio_input_tokens", "audio_output_tokens", "image_tokens", "output_image_tokens", "web_search_requests",
        "metrics", "run_id",
    ]

    public init(store: Store, runID: Int64?) throws(StoreError) {
        self.store = store
        self.runID = runID
        lineExists = try store.database.prepare("SELECT 1 FROM billing_lines WHERE natural_key = ?")
        bucketExists = try store.database.prepare("SELECT 1 FROM usage_buckets WHERE bucket_start = ?1 AND key = ?2")
        let isNot = store.database.dialect.isNot
        let cols = BillingWriter.lineColumns
        let values = cols.filter { $0 != "source" && $0 != "natural_key" && $0 != "run_id" }
        upsertLine = try store.database.prepare("""
            INSERT INTO billing_lines(\(cols.joined(separator: ", ")))
            VALUES (\(cols.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))
            ON CONFLICT(natural_key) DO UPDATE SET
                \((values + ["run_id"]).map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            WHERE \(values.map { "billing_lines.\($0) \(isNot) excluded.\($0)" }.joined(separator: " OR "))
            """)
        let all = ["key"] + BillingWriter.bucketIdentity + BillingWriter.bucketValues
        let changed = BillingWriter.bucketValues.filter { $0 != "run_id" }
        upsertBucket = try store.database.prepare("""
            INSERT INTO usage_buckets(\(all.joined(separator: ", ")))
            VALUES (\(all.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))
            ON CONFLICT(bucket_start, key) DO UPDATE SET
                \(BillingWriter.bucketValues.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            WHERE \(changed.map { "usage_buckets.\($0) \(isNot) excluded.\($0)" }.joined(separator: " OR "))
            """)
    }

    /// Whether a prepared existence query finds a row for these key values.
    private func exists(_ stmt: Statement, _ key: [SQLValue]) throws(StoreError) -> Bool {
        defer { stmt.reset() }
        try stmt.bind(key)
        return try stmt.step()
    }

    /// What the upsert just run did to a row that did or did not exist before it.
    private func outcome(existedBefore before: Bool) -> UpsertOutcome {
        !before ? .inserted : (store.database.changes > 0 ? .updated : .unchanged)
    }

    /// Inserts or updates one billing line (keyed by `naturalKey`).
    @discardableResult
    public func upsert(_ l: BillingLine) throws(StoreError) -> UpsertOutcome {
        let before = try exists(lineExists, [.text(l.naturalKey)])
        func t(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
        func i(_ v: Int64?) -> SQLValue { v.map { .int($0) } ?? .null }
        func m(_ v: Money?) -> SQLValue { v.map { .text($0.description) } ?? .null }
        try upsertLine.run([
            .text(l.source), .text(l.naturalKey), t(l.billingAccountID), t(l.billingAccountName), t(l.subAccountID),
            t(l.subAccountName), i(l.billingPeriodStart), i(l.billingPeriodEnd), .int(l.chargePeriodStart),
            .int(l.chargePeriodEnd), .text(l.providerName), t(l.publisherName), t(l.invoiceIssuerName),
            t(l.serviceName), t(l.serviceCategory), .text(l.chargeCategory), t(l.chargeClass),
            t(l.chargeDescription), t(l.skuID), t(l.resourceID), t(l.regionID), m(l.billedCost),
            m(l.effectiveCost), m(l.listCost), m(l.contractedCost), m(l.listUnitPrice), .text(l.billingCurrency),
            t(l.consumedQuantity), t(l.consumedUnit), t(l.pricingQuantity), t(l.pricingUnit), .text(l.tags),
            t(l.team), t(l.tenant), t(l.project), .text(l.extra), i(runID),
        ])
        return outcome(existedBefore: before)
    }

    /// The upsert key of a usage bucket: a stable hash of its identity.
    public static func key(of b: UsageBucket) -> Int64 {
        var h = StableHash(seed: 0x7573_6167_6521)
        h.combine(b.source)
        h.combine(b.account)
        h.combine(b.bucketStart)
        h.combine(b.provider)
        h.combine(b.model)
        h.combine(b.project)
        h.combine(b.apiKey)
        h.combine(b.dimensions)
        return h.value
    }

    /// Inserts or updates one usage bucket (keyed by a hash of source, account, start,
    /// provider, model, project, API key and dimensions).
    @discardableResult
    public func upsert(_ b: UsageBucket) throws(StoreError) -> UpsertOutcome {
        let key = BillingWriter.key(of: b)
        let before = try exists(bucketExists, [.int(b.bucketStart), .int(key)])
        let counts = [b.requests, b.inputTokens, b.cachedInputTokens, b.cacheWriteTokens, b.outputTokens,
                      b.audioInputTokens, b.audioOutputTokens, b.imageInputTokens, b.imageOutputTokens,
                      b.webSearchRequests]
        try upsertBucket.run([
            .int(key), .text(b.source), .text(b.account), .int(b.bucketStart), .text(b.provider), .text(b.model),
            .text(b.project), .text(b.apiKey), .text(b.dimensions), .int(b.bucketEnd),
        ] + counts.map { .int(Int64($0)) } + [.text(b.metrics), runID.map { .int($0) } ?? .null])
        return outcome(existedBefore: before)
    }
}

/// Exact totals of billed cost, grouped.
public struct CostTotal: Sendable, Equatable, Codable {
    /// The group's values, in the order of the `by` dimensions asked for.
    public var group: [String]
    public var currency: String
    public var billedCost: Money
    public var effectiveCost: Money
    public var lines: Int
}

/// A dimension to group billing lines by.
public enum CostDimension: String, Sendable, CaseIterable, Codable {
    case provider, service, team, tenant, project, month, source, category

    func sql(_ dialect: SQLDialect) -> String {
        switch self {
        case .provider: return "provider_name"
        case .service: return "coalesce(service_name, '')"
        case .team: return "coalesce(team, '')"
        case .tenant: return "coalesce(tenant, '')"
        case .project: return "coalesce(project, '')"
        case .month: return dialect.bytewise(dialect.utc("charge_period_start", .month))
        case .source: return "source"
        case .category: return "charge_category"
        }
    }
}

extension Store {
    /// Billed and effective cost across every source, grouped by the given dimensions (and
    /// always by currency), exact. Lines without an effective cost count their billed cost.
    public func costTotals(by dims: [CostDimension], from: Int64? = nil, to: Int64? = nil) throws(StoreError) -> [CostTotal] {
        let d = database.dialect
        let groups = dims.map { $0.sql(d) } + ["billing_currency"]
        let sql = """
            SELECT \(groups.enumerated().map { "\($1) AS g\($0)" }.joined(separator: ", ")),
                   \(d.moneySum("billed_cost")), \(d.moneySum("coalesce(effective_cost, billed_cost)")), count(*)
            FROM billing_lines WHERE charge_period_start >= ?1 AND charge_period_start < ?2
            GROUP BY \(groups.indices.map { "g\($0)" }.joined(separator: ", "))
            ORDER BY \(groups.indices.map { "g\($0)" }.joined(separator: ", "))
            """
        let stmt = try database.prepare(sql)
        try stmt.bind([.int(from ?? Int64.min), .int(to ?? Int64.max)])
        var out: [CostTotal] = []
        let n = Int32(groups.count)
        while try stmt.step() {
            let billedText = stmt.text(n), effectiveText = stmt.text(n + 1)
            guard let billed = try? Money(parsing: billedText), let effective = try? Money(parsing: effectiveText) else {
                throw .corruptValue(table: "billing_lines", column: "billed_cost", value: billedText)
            }
            out.append(CostTotal(group: (0..<(n - 1)).map { stmt.text($0) }, currency: stmt.text(n - 1),
                                 billedCost: billed, effectiveCost: effective, lines: Int(stmt.int64(n + 2))))
        }
        return out
    }
}
