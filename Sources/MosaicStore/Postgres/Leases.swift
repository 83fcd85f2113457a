import MosaicCore

/// The shared side of a router fleet's quotas and budgets, in PostgreSQL.
///
/// `fleet_limits` holds one row per limit and window: its capacity (the policy's limit) and
/// how much of it is leased out (`taken`). `fleet_leases` holds one row per limit, window and
/// router instance: what the instance leased (`amount`), what it reported using (`used`) and
/// when the lease expires unless renewed.
///
/// A lease is taken with one atomic `UPDATE … RETURNING` on the limit row: under the row lock
/// it grants `least(wanted, capacity − taken)` and adds that to `taken`, so the leases of one
/// window never add up to more than its capacity, whatever the number of instances. Every
/// renewal reports the instance's usage and pushes the expiry forward. ``expire(now:)``
/// deletes leases nobody renewed (a crashed instance) and gives their unused part
/// (`amount − used`) back to the window; ``release(instance:)`` does the same for an instance
/// that stops cleanly. Nothing here runs on a decision path: the server's refiller calls it
/// from a background thread.
///
/// The tables belong to the fleet, not to the store's data: they are created on first use
/// (`CREATE TABLE IF NOT EXISTS` under an advisory lock) and `mosaic db copy` ignores them.
public struct FleetLeases {
    public let database: Database

    /// Opens the fleet tables of a PostgreSQL store, creating them when missing.
    ///
    /// - Throws: ``StoreError/refused(path:reason:)`` for an SQLite store: a fleet needs a
    ///   shared database.
    public init(store: Store) throws(StoreError) {
        database = store.database
        guard database.dialect == .postgres else {
            throw .refused(path: database.path, reason: "a router fleet shares its limits through PostgreSQL; pass a postgres:// URL")
        }
        do {
            try database.transaction {
                try database.execute("SELECT pg_advisory_xact_lock(7236837366706143084)")
                try database.execute("""
                    CREATE TABLE IF NOT EXISTS fleet_limits (
                        key          TEXT COLLATE "C" NOT NULL,
                        window_start BIGINT NOT NULL,
                        window_end   BIGINT NOT NULL,
                        capacity     NUMERIC NOT NULL,
                        taken        NUMERIC NOT NULL DEFAULT 0,
                        last_grant   NUMERIC NOT NULL DEFAULT 0,
                        PRIMARY KEY (key, window_start));
                    CREATE TABLE IF NOT EXISTS fleet_leases (
                        key          TEXT COLLATE "C" NOT NULL,
                        window_start BIGINT NOT NULL,
                        instance     TEXT COLLATE "C" NOT NULL,
                        amount       NUMERIC NOT NULL,
                        used         NUMERIC NOT NULL,
                        expires_at   BIGINT NOT NULL,
                        PRIMARY KEY (key, window_start, instance));
                    CREATE INDEX IF NOT EXISTS fleet_leases_expiry ON fleet_leases(expires_at);
                    CREATE TABLE IF NOT EXISTS fleet_publications (
                        id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        published_at  BIGINT NOT NULL,
                        model         TEXT,
                        policy        TEXT,
                        model_sha256  TEXT,
                        policy_sha256 TEXT,
                        note          TEXT NOT NULL DEFAULT '')
                    """)
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw .postgres(location: database.path, state: nil, message: "\(error)", sql: nil)
        }
    }

    /// What one renewal did.
    public struct Renewal: Sendable, Equatable {
        /// Newly granted by this call (0 when nothing was wanted or the window is used up).
        public var granted: Money
        /// The lease had expired in the store (this instance missed its renewals): nothing
        /// was changed. Its unused part by the last report went back, so the instance drops
        /// what it had left and leases again (`exists: false`), reporting as used what it took
        /// since that report.
        public var lost: Bool
    }

    /// Takes or renews this instance's lease on one limit's window, in one transaction.
    ///
    /// - Parameters:
    ///   - key: the limit (`quota:TENANT`, `budget:TAG`).
    ///   - windowStart, windowEnd: the window, µs since the epoch.
    ///   - capacity: the limit per window; written to the limit row when this instance first
    ///     leases in the window (the last writer's policy wins).
    ///   - wanted: how much more to lease (0: renew and report only).
    ///   - used: what this instance has taken in the window against this lease: all it took,
    ///     less what an earlier lease of the window that expired had reported (the window
    ///     counts that already).
    ///   - instance: the instance's id; `exists`: whether it already holds a lease row here.
    ///   - expiresAt: the lease's new expiry, µs.
    public func renew(key: String, windowStart: Int64, windowEnd: Int64, capacity: Money, wanted: Money, used: Money,
                      instance: String, exists: Bool, expiresAt: Int64) throws(StoreError) -> Renewal {
        // One statement (one round trip) per renewal: the grant is an atomic UPDATE … RETURNING
        // of the limit row under its row lock (the right-hand sides read the row as it was),
        // and the lease row takes the grant in the same statement.
        if !exists {
            try database.prepare("""
                INSERT INTO fleet_limits(key, window_start, window_end, capacity) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (key, window_start) DO UPDATE SET capacity = excluded.capacity
                WHERE fleet_limits.capacity <> excluded.capacity
                """).run([.text(key), .int(windowStart), .int(windowEnd), .text(capacity.description)])
        }
        let lease = exists
            ? """
              UPDATE fleet_leases SET amount = amount + coalesce((SELECT last_grant FROM g), 0), used = ?5, expires_at = ?6
              WHERE key = ?1 AND window_start = ?2 AND instance = ?4 RETURNING amount
              """
            : """
              INSERT INTO fleet_leases(key, window_start, instance, amount, used, expires_at)
              VALUES (?1, ?2, ?4, coalesce((SELECT last_grant FROM g), 0), ?5, ?6) RETURNING amount
              """
        let s = try database.prepare("""
            WITH g AS (
                UPDATE fleet_limits
                SET last_grant = least(?3::numeric, greatest(capacity - taken, 0)),
                    taken = taken + least(?3::numeric, greatest(capacity - taken, 0))
                WHERE key = ?1 AND window_start = ?2 AND ?3::numeric > 0
                RETURNING last_grant),
            l AS (\(lease))
            SELECT coalesce((SELECT last_grant FROM g), 0)::text, (SELECT count(*) FROM l)
            """)
        try s.bind([.text(key), .int(windowStart), .text(wanted.description), .text(instance), .text(used.description),
                    .int(expiresAt)])
        guard try s.step() else { throw .postgres(location: database.path, state: nil, message: "lease renewal returned no row", sql: nil) }
        let granted = try Self.money(s.value(0))
        let found = s.int64(1) > 0
        s.reset()
        if !found {
            // The lease had expired (and its unused part was given back): undo this grant too.
            if granted > .zero {
                try database.prepare("UPDATE fleet_limits SET taken = taken - ?3 WHERE key = ?1 AND window_start = ?2")
                    .run([.text(key), .int(windowStart), .text(granted.description)])
            }
            return Renewal(granted: .zero, lost: true)
        }
        return Renewal(granted: granted, lost: false)
    }

    /// Deletes the leases nobody renewed by `now` and gives their unused part back to their
    /// windows (an instance that used more than it leased, by reported costs above their
    /// estimates, takes the excess from the window instead).
    ///
    /// - Returns: the number of leases expired.
    @discardableResult
    public func expire(now: Int64) throws(StoreError) -> Int {
        let s = try database.prepare("""
            WITH gone AS (
                DELETE FROM fleet_leases WHERE expires_at < ?1
                RETURNING key, window_start, amount - used AS back),
            sums AS (SELECT key, window_start, sum(back) AS back, count(*) AS n FROM gone GROUP BY key, window_start),
            upd AS (
                UPDATE fleet_limits f SET taken = f.taken - sums.back
                FROM sums WHERE f.key = sums.key AND f.window_start = sums.window_start)
            SELECT coalesce(sum(n), 0)::bigint FROM sums
            """)
        try s.bind([.int(now)])
        return try s.step() ? Int(s.int64(0)) : 0
    }

    /// Gives back everything `instance` leased and did not use, and deletes its leases (a
    /// clean shutdown).
    public func release(instance: String) throws(StoreError) {
        try database.prepare("""
            WITH gone AS (
                DELETE FROM fleet_leases WHERE instance = ?1
                RETURNING key, window_start, amount - used AS back),
            sums AS (SELECT key, window_start, sum(back) AS back FROM gone GROUP BY key, window_start)
            UPDATE fleet_limits f SET taken = f.taken - sums.back
            FROM sums WHERE f.key = sums.key AND f.window_start = sums.window_start
            """).run([.text(instance)])
    }

    /// Deletes limit rows (and their leases) of windows that ended before `before`.
    public func prune(before: Int64) throws(StoreError) {
        try database.prepare("""
            DELETE FROM fleet_leases l USING fleet_limits f
            WHERE l.key = f.key AND l.window_start = f.window_start AND f.window_end < ?1
            """).run([.int(before)])
        try database.prepare("DELETE FROM fleet_limits WHERE window_end < ?1").run([.int(before)])
    }

    /// One limit's window as the store sees it: capacity, leased out, and the leases.
    public struct LimitState: Sendable, Equatable {
        public var capacity: Money
        public var taken: Money
        /// Per instance: (amount, used).
        public var leases: [String: (amount: Money, used: Money)]
        public static func == (a: LimitState, b: LimitState) -> Bool {
            a.capacity == b.capacity && a.taken == b.taken && a.leases.count == b.leases.count
                && a.leases.allSatisfy { k, v in b.leases[k].map { $0.amount == v.amount && $0.used == v.used } ?? false }
        }
    }

    /// The state of one limit's window (for tests and operators), or nil.
    public func state(key: String, windowStart: Int64) throws(StoreError) -> LimitState? {
        let rows = try database.rows("SELECT capacity::text, taken::text FROM fleet_limits WHERE key = ? AND window_start = ?",
                                     [.text(key), .int(windowStart)])
        guard let row = rows.first else { return nil }
        var state = LimitState(capacity: try Self.money(row[0]), taken: try Self.money(row[1]), leases: [:])
        for l in try database.rows("SELECT instance, amount::text, used::text FROM fleet_leases WHERE key = ? AND window_start = ?",
                                   [.text(key), .int(windowStart)]) {
            state.leases[l[0].description] = (try Self.money(l[1]), try Self.money(l[2]))
        }
        return state
    }

    static func money(_ v: SQLValue) throws(StoreError) -> Money {
        do { return try Money(parsing: v.description) } catch {
            throw .postgres(location: "fleet_limits", state: nil, message: "'\(v)' is not an exact amount", sql: nil)
        }
    }
}
