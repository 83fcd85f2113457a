import Foundation
import MosaicCore

/// GitHub's organization billing usage report (enhanced billing platform):
/// `GET /organizations/{org}/settings/billing/usage?year=&month=`, one request per month of
/// the window, `usageItems[]`.
///
/// Each item becomes a billing line for its day: `netAmount` is the billed and effective
/// cost, `grossAmount` the list cost, `pricePerUnit` the list unit price, `quantity` and
/// `unitType` the consumed quantity, `product` the service, `sku` the SKU, `repositoryName`
/// the project. Items outside the window are left out. Amounts are read exactly from the JSON
/// literals, in USD.
public struct GitHubBillingSource: APISource {
    public var organization: String

    public init(organization: String) { self.organization = organization }

    public var name: String { "github-billing" }
    public var defaultBaseURL: URL { URL(string: "https://api.github.com")! }
    public var credentialVariable: String { "GITHUB_TOKEN" }
    public var credentialKind: String { "a token with the organization's \"Administration\" read permission" }
    public var credentialHint: String {
        "check GITHUB_TOKEN: it needs the organization's \"Administration\" read permission, and the organization must be on the enhanced billing platform"
    }
    var path: String { "/organizations/\(organization)/settings/billing/usage" }

    public func headers(credential: String) -> [String: String] {
        ["Authorization": "Bearer \(credential)", "Accept": "application/vnd.github+json",
         "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "mosaic/0.1"]
    }

    /// Tokens are months, `YYYY-MM`; the first page is the window's first month.
    static func month(of micros: Int64) -> (year: Int, month: Int) {
        let (y, m, _) = Timestamp.civilFromDays(Int(micros / Timestamp.microsPerDay))
        return (y, m)
    }

    static func parseToken(_ token: String) -> (year: Int, month: Int)? {
        let parts = token.split(separator: "-")
        guard parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m) else { return nil }
        return (y, m)
    }

    static func monthStart(_ y: Int, _ m: Int) -> Int64 {
        Int64(Timestamp.daysFromCivil(year: y, month: m, day: 1)) * Timestamp.microsPerDay
    }

    public func url(base: URL, window: PullWindow, token: String?) -> URL {
        let (y, m) = token.flatMap(Self.parseToken) ?? Self.month(of: window.since)
        return base.appending(path: path, query: [("year", String(y)), ("month", String(m))])
    }

    public func parse(_ page: JSONValue, window: PullWindow, token: String?, account: String) throws(APIError) -> ParsedPage {
        let r = PageReader(source: name, path: path)
        let (y, m) = token.flatMap(Self.parseToken) ?? Self.month(of: window.since)
        var out = ParsedPage()
        out.newestStart = Self.monthStart(y, m)
        let monthEnd = m == 12 ? Self.monthStart(y + 1, 1) : Self.monthStart(y, m + 1)
        var keys = OccurrenceKeys()
        for (i, item) in try r.array(page["usageItems"], "usageItems").enumerated() {
            let at = "usageItems[\(i)]"
            _ = try r.object(item, at)
            guard let dateText = try r.optionalString(item["date"], "\(at).date"),
                  let day = Timestamp.parse(String(dateText.prefix(10))) else {
                throw r.fail("\(at).date", "expected a date")
            }
            if let early = Timestamp.tooEarly(day, what: "a charge") { throw r.fail("\(at).date", early) }
            // Keep the days that overlap the window.
            guard day + Timestamp.microsPerDay > window.since, day < window.until else { continue }
            guard let product = try r.optionalString(item["product"], "\(at).product") else { throw r.fail("\(at).product", "missing") }
            guard let sku = try r.optionalString(item["sku"], "\(at).sku") else { throw r.fail("\(at).sku", "missing") }
            let unit = try r.optionalString(item["unitType"], "\(at).unitType")
            let repository = try r.optionalString(item["repositoryName"], "\(at).repositoryName")
            let orgName = try r.optionalString(item["organizationName"], "\(at).organizationName")
            guard let quantity = item["quantity"]?.numberText else { throw r.fail("\(at).quantity", "expected a number") }
            let price = try r.money(item["pricePerUnit"], "\(at).pricePerUnit")
            let gross = try r.money(item["grossAmount"], "\(at).grossAmount")
            let net = try r.money(item["netAmount"], "\(at).netAmount")
            let discount = try r.money(item["discountAmount"], "\(at).discountAmount")
            let identity = [name, account, String(dateText.prefix(10)), product, sku, repository ?? "", unit ?? ""]
                .joined(separator: "|")
            var l = BillingLine(source: name, naturalKey: keys.key(identity),
                                chargePeriodStart: day, chargePeriodEnd: day + Timestamp.microsPerDay,
                                providerName: "GitHub", billedCost: net, billingCurrency: "USD")
            l.billingAccountID = account
            l.billingAccountName = orgName
            l.billingPeriodStart = Self.monthStart(y, m)
            l.billingPeriodEnd = monthEnd
            l.publisherName = "GitHub"
            l.invoiceIssuerName = "GitHub"
            l.serviceName = product
            l.serviceCategory = "Developer Tools"
            l.skuID = sku
            l.chargeDescription = "\(product) \(sku)"
            l.effectiveCost = net
            l.listCost = gross
            l.listUnitPrice = price
            l.consumedQuantity = quantity
            l.consumedUnit = unit
            l.pricingQuantity = quantity
            l.pricingUnit = unit
            l.project = repository
            l.tags = canonicalJSON(["repository": repository, "organization": orgName])
            l.extra = canonicalJSON(["discountAmount": discount.description])
            out.lines.append(l)
        }
        // The next month, while it starts before the window ends.
        let (ny, nm) = m == 12 ? (y + 1, 1) : (y, m + 1)
        if Self.monthStart(ny, nm) < window.until { out.next = String(format: "%04d-%02d", ny, nm) }
        return out
    }
}
