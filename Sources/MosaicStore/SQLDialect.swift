/// Where SQLite and PostgreSQL spell the same thing differently. Queries are written once and
/// ask the connection's dialect for these pieces, so both engines answer the same question.
public enum SQLDialect: String, Sendable {
    case sqlite, postgres

    /// The exact sum of a money column: `money_sum` over SQLite's decimal text, `sum` over
    /// PostgreSQL's `numeric`. NULL when every input is NULL.
    public func moneySum(_ expression: String) -> String {
        self == .sqlite ? "money_sum(\(expression))" : "sum(\(expression))"
    }

    /// How many rows of the group satisfy a condition.
    public func countWhere(_ condition: String) -> String {
        self == .sqlite ? "sum(\(condition))" : "count(*) FILTER (WHERE \(condition))"
    }

    /// A µs-since-epoch instant formatted in UTC: `pattern` is `month` (2024-09) or `day`
    /// (2024-09-30). Text in byte order on both engines.
    public func utc(_ micros: String, _ pattern: DatePattern) -> String {
        switch self {
        case .sqlite:
            return "strftime('\(pattern == .month ? "%Y-%m" : "%Y-%m-%d")', (\(micros)) / 1000000, 'unixepoch')"
        case .postgres:
            return "to_char(to_timestamp((\(micros)) / 1000000) AT TIME ZONE 'UTC', '\(pattern == .month ? "YYYY-MM" : "YYYY-MM-DD")')"
        }
    }

    public enum DatePattern: Sendable { case month, day }

    /// Text compared byte by byte, as SQLite does: PostgreSQL's database collation may sort
    /// otherwise.
    public func bytewise(_ expression: String) -> String {
        self == .sqlite ? expression : "(\(expression)) COLLATE \"C\""
    }

    /// An ORDER BY term that puts NULLs first, as SQLite does (PostgreSQL puts them last).
    public func nullsFirst(_ expression: String) -> String {
        self == .sqlite ? expression : "\(expression) NULLS FIRST"
    }

    /// Null-safe inequality.
    public var isNot: String { self == .sqlite ? "IS NOT" : "IS DISTINCT FROM" }
}
