/// The FinOps FOCUS releases `mosaic ingest focus` reads.
///
/// FOCUS 1.2 is a superset of 1.0 for everything Mosaic stores: the same 21 mandatory columns,
/// plus columns introduced in 1.1 and 1.2 (`InvoiceId`, `PricingCurrency`, `SkuMeter`,
/// `ServiceSubcategory`, …). A file whose header has any of those later columns is read as
/// 1.2; any other file as 1.0.
public enum FOCUSVersion: String, Sendable, CaseIterable, Codable {
    case v1_0 = "1.0"
    case v1_2 = "1.2"

    /// The version a header implies: 1.2 when it has a column introduced after FOCUS 1.0,
    /// otherwise 1.0.
    ///
    /// - Complexity: O(*n*) in the number of header names.
    public static func detect(header: [String]) -> FOCUSVersion {
        header.contains { FOCUSColumn(rawValue: $0)?.isAfter1_0 == true } ? .v1_2 : .v1_0
    }
}
