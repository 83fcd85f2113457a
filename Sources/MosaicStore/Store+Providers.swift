import Foundation
import MosaicCore

extension Store {
    /// Makes the `providers` table match a catalog: inserts new providers and updates existing
    /// ones. Providers no longer in the catalog stay (requests may still refer to them).
    public func syncProviders(_ catalog: Catalog) throws(StoreError) {
        let stmt = try database.prepare("""
            INSERT INTO providers(id, name, kind, self_hosted, regions, compliance, context_window, entry)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                self_hosted = excluded.self_hosted, regions = excluded.regions,
                compliance = excluded.compliance, context_window = excluded.context_window,
                entry = excluded.entry
            """)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ v: T) -> String {
            (try? encoder.encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        do {
            try database.transaction {
                for p in catalog.providers {
                    try stmt.run([
                        .text(p.id), .text(p.name), .text(p.kind.rawValue), .int(p.selfHosted ? 1 : 0),
                        .text(json(p.regions)), .text(json(p.compliance.map(\.rawValue))),
                        p.contextWindow.map { .int(Int64($0)) } ?? .null, .text(json(p)),
                    ])
                }
            }
        } catch let e as StoreError { throw e } catch { throw .sqlite(path: path, code: -1, message: "\(error)", sql: nil) }
    }

    /// The ids in the `providers` table.
    public func providerIDs() throws(StoreError) -> Set<String> {
        Set(try database.rows("SELECT id FROM providers").compactMap { $0[0].textValue })
    }
}
