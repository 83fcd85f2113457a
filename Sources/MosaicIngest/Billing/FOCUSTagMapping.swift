import MosaicCore

/// Which keys of a billing line's `Tags` fill its allocation keys (team, tenant, project).
///
/// For each allocation key the first tag in its list that is present with a value wins
/// (a non-empty string, or a number's literal text; `null`, `true`/`false` and `""` count as
/// absent). Keys match exactly, case included: `Team` is listed beside `team` for that reason,
/// and a tag such as `CostCenter` needs its own entry (`--team-tag CostCenter`).
public struct FOCUSTagMapping: Sendable, Equatable, Codable {
    public static let defaultTeamKeys = ["team", "Team", "business_unit", "BusinessUnit", "department", "Department",
                                         "cost_center", "costcenter", "CostCenter"]
    public static let defaultTenantKeys = ["tenant", "Tenant", "customer", "Customer", "client", "Client"]
    public static let defaultProjectKeys = ["project", "Project", "application", "Application", "app"]

    public var teamKeys: [String]
    public var tenantKeys: [String]
    public var projectKeys: [String]

    public init(teamKeys: [String] = FOCUSTagMapping.defaultTeamKeys,
                tenantKeys: [String] = FOCUSTagMapping.defaultTenantKeys,
                projectKeys: [String] = FOCUSTagMapping.defaultProjectKeys) {
        self.teamKeys = teamKeys
        self.tenantKeys = tenantKeys
        self.projectKeys = projectKeys
    }

    /// The value of the first key of `keys` that `tags` holds with a value.
    ///
    /// - Complexity: O(*k* · *t*) for *k* keys and *t* tags (both small).
    func first(of keys: [String], in tags: [(key: String, value: JSONValue)]) -> String? {
        for key in keys {
            guard let member = tags.first(where: { $0.key == key }) else { continue }
            switch member.value {
            case .string(let s) where !s.isEmpty: return s
            case .number(let n): return n
            default: continue
            }
        }
        return nil
    }
}
