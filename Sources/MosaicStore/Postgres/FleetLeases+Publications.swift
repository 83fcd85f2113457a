import MosaicCore

/// Publications: a routing model and/or policy handed to every router of a fleet.
///
/// ``publish(model:policy:note:now:)`` stores the files' text in `fleet_publications` and, in
/// the same transaction, sends `NOTIFY mosaic_publications, '<id>'`; PostgreSQL delivers the
/// notification to every listening router when the transaction commits, so a router that
/// hears it always finds the row.
extension FleetLeases {
    /// The channel routers listen on.
    public static let publicationChannel = "mosaic_publications"

    /// One publication, with the newest model's JSON and policy's YAML published up to it (nil:
    /// none yet, keep the router's own) and which publication carried each.
    public struct Publication: Sendable, Equatable {
        public var id: Int64
        public var publishedAt: Int64
        public var model: String?
        public var policy: String?
        public var note: String
        /// The publication that carried ``model`` (this one's id, or an earlier one's).
        public var modelPublication: Int64?
        /// The publication that carried ``policy``.
        public var policyPublication: Int64?
    }

    /// Stores a publication and notifies the fleet; returns its id.
    public func publish(model: String?, policy: String?, note: String = "", now: Int64) throws(StoreError) -> Int64 {
        precondition(model != nil || policy != nil, "a publication carries a model, a policy or both")
        do {
            return try database.transaction { () throws -> Int64 in
                let s = try database.prepare("""
                    INSERT INTO fleet_publications(published_at, model, policy, model_sha256, policy_sha256, note)
                    VALUES (?1, ?2, ?3, encode(sha256(convert_to(?2, 'UTF8')), 'hex'),
                            encode(sha256(convert_to(?3, 'UTF8')), 'hex'), ?4) RETURNING id
                    """)
                try s.bind([.int(now), model.map(SQLValue.text) ?? .null, policy.map(SQLValue.text) ?? .null, .text(note)])
                guard try s.step() else { throw StoreError.postgres(location: database.path, state: nil, message: "INSERT returned no id", sql: nil) }
                let id = s.int64(0)
                try database.prepare("SELECT pg_notify(?1, ?2)").run([.text(Self.publicationChannel), .text(String(id))])
                return id
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw .postgres(location: database.path, state: nil, message: "\(error)", sql: nil)
        }
    }

    /// The newest publication with an id above `after`, or nil.
    ///
    /// Its `model` and `policy` are the newest ones published up to it: a publication of a
    /// policy alone still names the model published before it.
    public func latestPublication(after: Int64) throws(StoreError) -> Publication? {
        let rows = try database.rows("""
            WITH p AS (SELECT id, published_at, note FROM fleet_publications WHERE id > ? ORDER BY id DESC LIMIT 1),
                 m AS (SELECT f.id, f.model FROM fleet_publications f, p WHERE f.id <= p.id AND f.model IS NOT NULL
                       ORDER BY f.id DESC LIMIT 1),
                 q AS (SELECT f.id, f.policy FROM fleet_publications f, p WHERE f.id <= p.id AND f.policy IS NOT NULL
                       ORDER BY f.id DESC LIMIT 1)
            SELECT p.id, p.published_at, p.note, m.model, q.policy, m.id, q.id FROM p LEFT JOIN m ON true LEFT JOIN q ON true
            """, [.int(after)])
        guard let r = rows.first, let id = r[0].intValue, let at = r[1].intValue else { return nil }
        return Publication(id: id, publishedAt: at, model: r[3].textValue, policy: r[4].textValue, note: r[2].description,
                           modelPublication: r[5].intValue, policyPublication: r[6].intValue)
    }
}
