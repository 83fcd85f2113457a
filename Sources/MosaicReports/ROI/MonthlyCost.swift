import Foundation
import MosaicCore
import MosaicSim
import MosaicStore

/// A cost per month for the ROI report's baseline or scenario: measured in the store
/// (request log or billing table), taken from a simulation result, or given.
public struct MonthlyCost: Sendable, Equatable {
    /// A month is 365.25 / 12 = 30.4375 days when a shorter window is scaled up.
    public static let daysPerMonth = 30.4375

    public var label: String
    public var perMonth: Double
    /// How it was computed, shown in the report.
    public var detail: String

    /// A given amount per month.
    public static func amount(_ m: Money) -> MonthlyCost {
        MonthlyCost(label: "given", perMonth: m.doubleValue, detail: "given: \(NumberFormat.money(m)) per month")
    }

    /// The request log's exact cost over whole UTC days `[from, to)` (default: the days the
    /// log covers), scaled to a 30.4375-day month.
    public static func fromRequests(store: Store, from: Int64? = nil, to: Int64? = nil) throws(ReportError) -> MonthlyCost {
        let day: Int64 = 86_400_000_000
        let span: (first: Int64, last: Int64)?
        do { span = try store.requestSpan() } catch { throw .store(error.description) }
        guard let span else { throw .noData("\(store.path): the request log is empty; ingest requests first (`mosaic ingest requests`)") }
        let lo = from ?? (span.first / day) * day
        let hi = to ?? ((span.last / day) + 1) * day
        let total: Money
        do { total = try store.providerSummary(from: lo, to: hi).map(\.cost).sum() } catch { throw .store(error.description) }
        let days = Double(hi - lo) / Double(day)
        return MonthlyCost(label: "request log", perMonth: total.doubleValue * daysPerMonth / days,
                           detail: "request log \(NumberFormat.date(lo)) … \(NumberFormat.date(hi - 1)): \(NumberFormat.money(total)) over \(NumberFormat.fixed(days, places: 2)) days × 30.4375 / \(NumberFormat.fixed(days, places: 2))")
    }

    /// The billing table's average BilledCost per charge month (every month present counts).
    public static func fromBilling(store: Store, from: Int64? = nil, to: Int64? = nil) throws(ReportError) -> MonthlyCost {
        let totals: [CostTotal]
        do { totals = try store.costTotals(by: [.month], from: from, to: to) } catch { throw .store(error.description) }
        guard !totals.isEmpty else { throw .noData("\(store.path): the billing table is empty; ingest bills first (`mosaic ingest focus`)") }
        let currencies = Set(totals.map(\.currency))
        guard currencies.count == 1 else {
            throw .invalidInput("the billing table mixes currencies (\(currencies.sorted().joined(separator: ", "))); pick a window with one")
        }
        let total = totals.map(\.billedCost).sum()
        let months = totals.map(\.group[0])
        return MonthlyCost(label: "billing table", perMonth: total.doubleValue / Double(months.count),
                           detail: "billing table, BilledCost \(NumberFormat.money(total, currency: totals[0].currency)) over \(months.count) month(s) (\(months.joined(separator: ", "))) ÷ \(months.count)")
    }

    /// A simulation result's mean exact cost per replication, scaled from the measured window
    /// (duration minus warm-up) to a month.
    public static func fromSimulation(path: String) throws(ReportError) -> MonthlyCost {
        let s = try SimulationFiles.summary(path)
        let exact = s.overall.costExact.compactMap { try? Money(parsing: $0) }
        let mean = exact.isEmpty ? s.overall.costUSD.mean : exact.sum().doubleValue / Double(exact.count)
        let window = s.durationSeconds - s.warmupSeconds
        guard window > 0, mean.isFinite else { throw .invalidInput("\(path): the simulation has no measured window or no cost") }
        return MonthlyCost(label: "simulation \(s.scenario)", perMonth: mean * daysPerMonth * 86_400 / window,
                           detail: "simulation `\(s.scenario)` (\(s.replications) replications): mean cost \(NumberFormat.money(mean)) over \(NumberFormat.fixed(window / 3600, places: 2)) h scaled to a month")
    }

    /// Reads a spec: `requests`, `billing`, `sim:FILE` (or any `.json` file), or an amount.
    public static func resolve(_ spec: String, store: () throws -> Store) throws -> MonthlyCost {
        switch spec {
        case "requests": return try fromRequests(store: try store())
        case "billing": return try fromBilling(store: try store())
        default:
            if spec.hasPrefix("sim:") { return try fromSimulation(path: String(spec.dropFirst(4))) }
            if spec.hasSuffix(".json") { return try fromSimulation(path: spec) }
            if let m = try? Money(parsing: spec) { return amount(m) }
            throw ReportError.invalidInput("'\(spec)' is not a monthly cost: give requests, billing, sim:FILE.json or an amount per month")
        }
    }
}
