import MosaicCore
import MosaicStore

/// The store's cost data, aggregated once: the request log by hour, provider, model and
/// tenant; the billing table by billing period, provider, service, team and tenant. Every
/// amount is exact (summed as ``Money``, `money_sum` on SQLite, `sum` over `numeric` on PostgreSQL).
public struct CostData: Sendable {
    /// Requests by hour, provider, model and tenant (the store's ``HourlyCost``).
    public typealias RequestCell = HourlyCost

    public struct BillingCell: Sendable {
        /// `2024-09-01 … 2024-09-30`, or `charge month 2024-09` when the line has no billing period.
        public var period: String
        public var currency: String
        public var provider: String
        public var service: String
        public var team: String?
        public var tenant: String?
        public var category: String
        public var billed: Money
        public var effective: Money
        public var list: Money?
        public var lines: Int
    }

    /// Requests the gateway answered from its cache, by provider, model and tenant.
    public struct CacheHitCell: Sendable, Equatable {
        public var provider: String
        public var model: String
        public var tenant: String
        public var hits: Int
        /// The exact sum of what the cached answers cost upstream: the spend the hits avoided.
        public var saved: Money
        /// Hits whose answer had no price (not in `saved`).
        public var unpriced: Int
    }

    /// Billed totals per billing period and currency straight from `money_sum` over the lines.
    public struct PeriodTotal: Sendable, Equatable {
        public var period: String
        public var currency: String
        public var billed: Money
        public var lines: Int
    }

    public var requests: [RequestCell]
    public var billing: [BillingCell]
    public var billingTotals: [PeriodTotal]
    /// The `cache_hits` table in the window (empty without a gateway cache).
    public var cacheHits: [CacheHitCell] = []
    /// The window `[from, to)` in µs that the request cells cover (whole hours).
    public var from: Int64?
    public var to: Int64?

    static func periodSQL(_ d: SQLDialect) -> String {
        d.bytewise("""
            CASE WHEN billing_period_start IS NULL THEN 'charge month ' || \(d.utc("charge_period_start", .month))
                 ELSE \(d.utc("billing_period_start", .day)) || ' … ' ||
                      \(d.utc("coalesce(billing_period_end, billing_period_start + 1) / 1000000 * 1000000 - 1000000", .day)) END
            """)
    }

    /// Reads both tables within `[from, to)` (µs; requests by timestamp, billing lines by
    /// charge period start).
    public static func load(store: Store, from: Int64? = nil, to: Int64? = nil) throws(ReportError) -> CostData {
        let lo = from ?? Int64.min, hi = to ?? Int64.max
        let d = store.database.dialect, periodSQL = CostData.periodSQL(d)
        do {
            let (requests, span) = try store.hourlyCosts(from: from, to: to)
            let b = try store.database.prepare("""
                SELECT \(periodSQL) AS p, billing_currency, provider_name, coalesce(service_name, ''), team, tenant, charge_category,
                       \(d.moneySum("billed_cost")), \(d.moneySum("coalesce(effective_cost, billed_cost)")), \(d.moneySum("list_cost")), count(*)
                FROM billing_lines WHERE charge_period_start >= ?1 AND charge_period_start < ?2
                GROUP BY p, billing_currency, provider_name, 4, team, tenant, charge_category
                ORDER BY p, billing_currency, provider_name, 4, \(d.nullsFirst("team")), \(d.nullsFirst("tenant")), charge_category
                """)
            try b.bind([.int(lo), .int(hi)])
            var billing: [BillingCell] = []
            func money(_ i: Int32) throws -> Money {
                let t = b.text(i)
                guard let m = try? Money(parsing: t) else { throw ReportError.store("billing_lines: '\(t)' is not an amount") }
                return m
            }
            while try b.step() {
                billing.append(BillingCell(period: b.text(0), currency: b.text(1), provider: b.text(2), service: b.text(3),
                                           team: b.isNull(4) ? nil : b.text(4), tenant: b.isNull(5) ? nil : b.text(5),
                                           category: b.text(6), billed: try money(7), effective: try money(8),
                                           list: b.isNull(9) ? nil : try money(9), lines: Int(b.int64(10))))
            }
            let t = try store.database.prepare("""
                SELECT \(periodSQL) AS p, billing_currency, \(d.moneySum("billed_cost")), count(*)
                FROM billing_lines WHERE charge_period_start >= ?1 AND charge_period_start < ?2
                GROUP BY p, billing_currency ORDER BY p, billing_currency
                """)
            try t.bind([.int(lo), .int(hi)])
            var totals: [PeriodTotal] = []
            while try t.step() {
                guard let m = try? Money(parsing: t.text(2)) else { throw ReportError.store("billing_lines: '\(t.text(2))' is not an amount") }
                totals.append(PeriodTotal(period: t.text(0), currency: t.text(1), billed: m, lines: Int(t.int64(3))))
            }
            let c = try store.database.prepare("""
                SELECT provider, model, tenant, count(*), \(d.moneySum("saved")), \(d.countWhere("saved IS NULL"))
                FROM cache_hits WHERE ts >= ?1 AND ts < ?2 GROUP BY provider, model, tenant ORDER BY provider, model, tenant
                """)
            try c.bind([.int(lo), .int(hi)])
            var hits: [CacheHitCell] = []
            while try c.step() {
                let text = c.isNull(4) ? "0" : c.text(4)
                guard let saved = try? Money(parsing: text) else { throw ReportError.store("cache_hits.saved: '\(text)' is not an amount") }
                hits.append(CacheHitCell(provider: c.text(0), model: c.text(1), tenant: c.text(2), hits: Int(c.int64(3)), saved: saved,
                                         unpriced: Int(c.int64(5))))
            }
            let hour: Int64 = 3_600_000_000
            let windowFrom = from ?? span.map { ($0.lowerBound / hour) * hour }
            let windowTo = to ?? span.map { ($0.upperBound / hour + 1) * hour }
            return CostData(requests: requests, billing: billing, billingTotals: totals, cacheHits: hits, from: windowFrom, to: windowTo)
        } catch let e as ReportError {
            throw e
        } catch let e as StoreError {
            throw .store(e.description)  // names the store already
        } catch {
            throw .store("\(store.path): \(error)")
        }
    }
}
