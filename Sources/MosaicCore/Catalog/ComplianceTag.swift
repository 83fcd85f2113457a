/// A compliance regime a provider is attested to meet.
///
/// Tags in a catalog are the organisation's own attestation, not a certification Mosaic
/// verifies; compliance-based routing (GDPR → EU provider, HIPAA → HIPAA-compliant providers,
/// SOC2 → certified providers) trusts them as written. The raw value is the canonical
/// lowercase catalog spelling.
public enum ComplianceTag: String, Sendable, Codable, CaseIterable {
    /// EU General Data Protection Regulation.
    case gdpr
    /// US Health Insurance Portability and Accountability Act.
    case hipaa
    /// AICPA SOC 2 attestation.
    case soc2
    /// US Federal Risk and Authorization Management Program.
    case fedramp

    /// Reads a tag in any letter case: `gdpr`, `GDPR`, `SOC2`, `FedRAMP`, `fedramp`.
    ///
    /// - Returns: nil when the text (compared case-insensitively) names no tag.
    public init?(parsing text: String) {
        self.init(rawValue: text.lowercased())
    }

    /// The conventional spelling: "GDPR", "HIPAA", "SOC2", "FedRAMP".
    public var displayName: String {
        switch self {
        case .gdpr: return "GDPR"
        case .hipaa: return "HIPAA"
        case .soc2: return "SOC2"
        case .fedramp: return "FedRAMP"
        }
    }
}
