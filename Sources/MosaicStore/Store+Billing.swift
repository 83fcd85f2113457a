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

    static let lineColumns = [
        "source", "natural_key", "billing_account_id", "billing_account_name", "sub_account_id", "sub_account_name",
        "billing_period_start", "billing_period_end", "charge_period_start", "charge_period_end", "provider_name",
        "publisher_name", "invoice_issuer_name", "service_name", "service_category", "charge_category",
        "charge_class", "charge_description", "sku_id", "resource_id", "region_id", "billed_cost",
        "effective_cost", "list_cost", "contracted_cost", "list_unit_price", "billing_currency",
        "consumed_quantity", "consumed_unit", "pricing_quantity", "pricing_unit", "tags", "team", "tenant",
        "project", "extra", "run_id",
    ]

    static let bucketKey = ["source", "account", "bucket_start", "provider", "model", "project", "api_key", "dimensions"]
    static let bucketValues = [
        "bucket_end", "requests", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens",
        "audio_input_tokens", "audio_output_tokens", "image_tokens", "output_image_tokens", "web_search_requests",
        "metrics", "run_id",
    ]

    public init(store: Store, runID: Int64?) throws(StoreError) {
        self.store = store
        self.runID = runID
        let cols = BillingWriter.lineColumns
        let values = cols.filter { $0 != "source" && $0 != "natural_key" && $0 != "run_id" }
        upsertLine = try store.database.prepare("""
            INSERT INTO billing_lines(\(cols.joined(separator: ", ")))
            VALUES (\(cols.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))
            ON CONFLICT(natural_key) DO UPDATE SET
                \((values + ["run_id"]).map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            WHERE \(values.map { "billing_lines.\($0) IS NOT excluded.\($0)" }.joined(separator: " OR "))
            """)
        let all = BillingWriter.bucketKey + BillingWriter.bucketValues
        let changed = BillingWriter.bucketValues.filter { $0 != "run_id" }
        upsertBucket = try store.database.prepare("""
            INSERT INTO usage_buckets(\(all.joined(separator: ", ")))
            VALUES (\(all.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))
            ON CONFLICT(\(BillingWriter.bucketKey.joined(separator: ", "))) DO UPDATE SET
                \(BillingWriter.bucketValues.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            WHERE \(changed.map { "usage_buckets.\($0) IS NOT excluded.\($0)" }.joined(separator: " OR "))
            """)
    }

    private func existed(_ sql: String, _ key: [SQLValue]) throws(StoreError) -> Bool {
        try store.database.scalarInt(sql, key) != nil
    }

    /// Inserts or updates one billing line (keyed by `naturalKey`).
    @discardableResult
    public func upsert(_ l: BillingLine) throws(StoreError) -> UpsertOutcome {
        let before = try store.database.scalarInt("SELECT 1 FROM billing_lines WHERE natural_key = ?", [.text(l.naturalKey)]) != nil
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
        let changes = store.database.changes
        return !before ? .inserted : (changes > 0 ? .updated : .unchanged)
    }

    /// Inserts or updates one usage bucket (keyed by source, account, start, provider, model,
    /// project, API key and dimensions).
    @discardableResult
    public func upsert(_ b: UsageBucket) throws(StoreError) -> UpsertOutcome {
        let key: [SQLValue] = [.text(b.source), .text(b.account), .int(b.bucketStart), .text(b.provider),
                               .text(b.model), .text(b.project), .text(b.apiKey), .text(b.dimensions)]
        let before = try existed("""
            SELECT 1 FROM usage_buckets WHERE source = ? AND account = ? AND bucket_start = ? AND provider = ?
              AND model = ? AND project = ? AND api_key = ? AND dimensions = ?
            """, key)
        func n(_ v: Int) -> SQLValue { .int(Int64(v)) }
        try upsertBucket.run(key + [
            .int(b.bucketEnd), n(b.requests), n(b.inputTokens), n(b.cachedInputTokens), n(b.cacheWriteTokens),
            n(b.outputTokens), n(b.audioInputTokens), n(b.audioOutputTokens), n(b.imageInputTokens),
            n(b.imageOutputTokens), n(b.webSearchRequests), .text(b.metrics), runID.map { .int($0) } ?? .null,
        ])
        let changes = store.database.changes
        return !before ? .inserted : (changes > 0 ? .updated : .unchanged)
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

    var sql: String {
        switch self {
        case .provider: return "provider_name"
        case .service: return "coalesce(service_name, '')"
        case .team: return "coalesce(team, '')"
        case .tenant: return "coalesce(tenant, '')"
        case .project: return "coalesce(project, '')"
        case .month: return "strftime('%Y-%m', charge_period_start / 1000000, 'unixepoch')"
        case .source: return "source"
        case .category: return "charge_category"
        }
    }
}

extension Store {
    /// Billed and effective cost across every source, grouped by the given dimensions (and
    /// always by currency), exact. Lines without an effective cost count their billed cost.
    public func costTotals(by dims: [CostDimension], from: Int64? = nil, to: Int64? = nil) throws(StoreError) -> [CostTotal] {
        let groups = dims.map(\.sql) + ["billing_currency"]
        let sql = """
            SELECT \(groups.enumerated().map { "\($1) AS g\($0)" }.joined(separator: ", ")),
                   money_sum(billed_cost), money_sum(coalesce(effective_cost, billed_cost)), count(*)
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
