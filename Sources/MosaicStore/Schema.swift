/// The store's schema, as an ordered list of migrations.
///
/// A migration never changes once released: later changes come as new migrations. Each runs
/// in its own transaction and is recorded in `schema_migrations` and `PRAGMA user_version`.
///
/// Conventions: instants are INTEGER microseconds since the epoch (UTC); money is TEXT holding
/// an exact decimal (sum it with `money_sum`, never `sum`); JSON columns hold objects or arrays.
///
/// Every migration is written for both engines. On PostgreSQL instants and counts are
/// `bigint`, money is `numeric` (exact; `sum` is exact too), text compares byte by byte
/// (`COLLATE "C"`, as SQLite does), and the version lives in `schema_migrations` alone.
public enum Schema {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        /// SQLite.
        public let sql: String
        /// PostgreSQL: the same tables, columns, keys and indexes.
        public let postgres: String
        /// What SQL cannot do (recomputing keys with ``StableHash``), for both engines: runs
        /// after the SQL, in the same transaction.
        public let code: (@Sendable (Database) throws(StoreError) -> Void)?

        init(version: Int, name: String, sql: String, postgres: String,
             code: (@Sendable (Database) throws(StoreError) -> Void)? = nil) {
            self.version = version
            self.name = name
            self.sql = sql
            self.postgres = postgres
            self.code = code
        }
    }

    /// PostgreSQL text that sorts and compares bytewise.
    static let text = "TEXT COLLATE \"C\""

    /// The newest schema version this build knows.
    public static var latestVersion: Int { migrations.last!.version }

    public static let migrations: [Migration] = [
        Migration(version: 1, name: "initial schema", sql: """
            CREATE TABLE providers (
                id             TEXT PRIMARY KEY,
                name           TEXT NOT NULL,
                kind           TEXT NOT NULL CHECK (kind IN ('ai','git','ci','kb','workflow')),
                self_hosted    INTEGER NOT NULL DEFAULT 0 CHECK (self_hosted IN (0,1)),
                regions        TEXT NOT NULL DEFAULT '[]',
                compliance     TEXT NOT NULL DEFAULT '[]',
                context_window INTEGER CHECK (context_window IS NULL OR context_window > 0),
                entry          TEXT NOT NULL
            );

            -- Unit prices. A price applies to requests with valid_from <= ts < valid_to.
            -- sku: input_token | output_token | cache_read_token | cache_write_token | request | minute
            CREATE TABLE prices (
                provider   TEXT NOT NULL,
                model      TEXT NOT NULL,
                sku        TEXT NOT NULL,
                unit       TEXT NOT NULL CHECK (unit IN ('token','request','minute')),
                price      TEXT NOT NULL,
                currency   TEXT NOT NULL DEFAULT 'USD',
                valid_from INTEGER NOT NULL,
                valid_to   INTEGER,
                source     TEXT NOT NULL,
                PRIMARY KEY (provider, model, sku, valid_from),
                CHECK (valid_to IS NULL OR valid_to > valid_from)
            ) WITHOUT ROWID;

            CREATE TABLE ingest_runs (
                id               INTEGER PRIMARY KEY,
                source           TEXT NOT NULL,
                location         TEXT NOT NULL,
                started_at       INTEGER NOT NULL,
                finished_at      INTEGER,
                status           TEXT NOT NULL CHECK (status IN ('running','ok','failed')),
                rows_read        INTEGER NOT NULL DEFAULT 0,
                rows_inserted    INTEGER NOT NULL DEFAULT 0,
                rows_duplicate   INTEGER NOT NULL DEFAULT 0,
                rows_quarantined INTEGER NOT NULL DEFAULT 0,
                error            TEXT
            );

            -- One row per request. The primary key (ts, key) clusters rows by time, so
            -- time-ordered logs append and time-range queries read contiguous pages; key is a
            -- hash of the row's content (or of request_id), which makes re-ingest idempotent.
            CREATE TABLE requests (
                ts            INTEGER NOT NULL,
                key           INTEGER NOT NULL,
                tenant        TEXT NOT NULL,
                provider      TEXT NOT NULL REFERENCES providers(id),
                model         TEXT NOT NULL,
                operation     TEXT NOT NULL,
                region        TEXT NOT NULL,
                input_tokens  INTEGER NOT NULL CHECK (input_tokens >= 0),
                output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
                cached_tokens INTEGER NOT NULL CHECK (cached_tokens >= 0),
                latency_ms    REAL,
                ttft_ms       REAL,
                status        TEXT NOT NULL,
                cost          TEXT,
                request_id    TEXT,
                run_id        INTEGER NOT NULL,
                PRIMARY KEY (ts, key)
            ) WITHOUT ROWID;

            -- Rows that --skip-bad set aside, with the reason.
            CREATE TABLE quarantine (
                id       INTEGER PRIMARY KEY,
                run_id   INTEGER NOT NULL REFERENCES ingest_runs(id),
                location TEXT NOT NULL,
                line     INTEGER NOT NULL,
                field    TEXT,
                reason   TEXT NOT NULL,
                raw      TEXT NOT NULL,
                UNIQUE (location, line, raw)
            );

            -- Aggregated usage from provider APIs (OpenAI, Anthropic usage reports, ...).
            -- key is a stable 64-bit hash of the identity (source, account, bucket_start,
            -- provider, model, project, api_key, dimensions); (bucket_start, key) is the upsert
            -- key and clusters rows by time, so pulls append and time-range queries read
            -- contiguous pages.
            CREATE TABLE usage_buckets (
                key                 INTEGER NOT NULL,
                source              TEXT NOT NULL,
                account             TEXT NOT NULL,
                bucket_start        INTEGER NOT NULL,
                bucket_end          INTEGER NOT NULL,
                provider            TEXT NOT NULL,
                model               TEXT NOT NULL DEFAULT '',
                project             TEXT NOT NULL DEFAULT '',
                api_key             TEXT NOT NULL DEFAULT '',
                dimensions          TEXT NOT NULL DEFAULT '{}',
                requests            INTEGER NOT NULL DEFAULT 0,
                input_tokens        INTEGER NOT NULL DEFAULT 0,
                cached_input_tokens INTEGER NOT NULL DEFAULT 0,
                output_tokens       INTEGER NOT NULL DEFAULT 0,
                audio_input_tokens  INTEGER NOT NULL DEFAULT 0,
                audio_output_tokens INTEGER NOT NULL DEFAULT 0,
                image_tokens        INTEGER NOT NULL DEFAULT 0,
                run_id              INTEGER REFERENCES ingest_runs(id),
                PRIMARY KEY (bucket_start, key),
                CHECK (bucket_end > bucket_start)
            ) WITHOUT ROWID;

            -- Billing lines shaped after FinOps FOCUS; every cost source lands here.
            CREATE TABLE billing_lines (
                id                   INTEGER PRIMARY KEY,
                source               TEXT NOT NULL,
                natural_key          TEXT NOT NULL UNIQUE,
                billing_account_id   TEXT,
                billing_period_start INTEGER,
                billing_period_end   INTEGER,
                charge_period_start  INTEGER NOT NULL,
                charge_period_end    INTEGER NOT NULL,
                provider_name        TEXT NOT NULL,
                publisher_name       TEXT,
                invoice_issuer_name  TEXT,
                service_name         TEXT,
                service_category     TEXT,
                charge_category      TEXT NOT NULL,
                charge_class         TEXT,
                charge_description   TEXT,
                sku_id               TEXT,
                resource_id          TEXT,
                region_id            TEXT,
                billed_cost          TEXT NOT NULL,
                effective_cost       TEXT,
                list_cost            TEXT,
                contracted_cost      TEXT,
                billing_currency     TEXT NOT NULL,
                consumed_quantity    TEXT,
                consumed_unit        TEXT,
                pricing_quantity     TEXT,
                pricing_unit         TEXT,
                tags                 TEXT NOT NULL DEFAULT '{}',
                team                 TEXT,
                tenant               TEXT,
                project              TEXT,
                extra                TEXT NOT NULL DEFAULT '{}',
                run_id               INTEGER REFERENCES ingest_runs(id),
                CHECK (charge_period_end >= charge_period_start)
            );
            CREATE INDEX billing_lines_period ON billing_lines(charge_period_start);

            -- Per-source, per-account progress of incremental pulls.
            CREATE TABLE checkpoints (
                source     TEXT NOT NULL,
                account    TEXT NOT NULL,
                cursor     TEXT NOT NULL,
                updated_at INTEGER NOT NULL,
                run_id     INTEGER REFERENCES ingest_runs(id),
                PRIMARY KEY (source, account)
            ) WITHOUT ROWID;

            -- Every exported model file.
            CREATE TABLE models (
                id         INTEGER PRIMARY KEY,
                kind       TEXT NOT NULL,
                version    INTEGER NOT NULL,
                path       TEXT NOT NULL,
                sha256     TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                train_from INTEGER,
                train_to   INTEGER,
                rows       INTEGER,
                metrics    TEXT NOT NULL DEFAULT '{}',
                UNIQUE (kind, version)
            );
            """, postgres: """
            CREATE TABLE providers (
                id             \(text) PRIMARY KEY,
                name           \(text) NOT NULL,
                kind           \(text) NOT NULL CHECK (kind IN ('ai','git','ci','kb','workflow')),
                self_hosted    INTEGER NOT NULL DEFAULT 0 CHECK (self_hosted IN (0,1)),
                regions        \(text) NOT NULL DEFAULT '[]',
                compliance     \(text) NOT NULL DEFAULT '[]',
                context_window BIGINT CHECK (context_window IS NULL OR context_window > 0),
                entry          \(text) NOT NULL
            );
            CREATE TABLE prices (
                provider   \(text) NOT NULL,
                model      \(text) NOT NULL,
                sku        \(text) NOT NULL,
                unit       \(text) NOT NULL CHECK (unit IN ('token','request','minute')),
                price      NUMERIC NOT NULL,
                currency   \(text) NOT NULL DEFAULT 'USD',
                valid_from BIGINT NOT NULL,
                valid_to   BIGINT,
                source     \(text) NOT NULL,
                PRIMARY KEY (provider, model, sku, valid_from),
                CHECK (valid_to IS NULL OR valid_to > valid_from)
            );
            CREATE TABLE ingest_runs (
                id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                source           \(text) NOT NULL,
                location         \(text) NOT NULL,
                started_at       BIGINT NOT NULL,
                finished_at      BIGINT,
                status           \(text) NOT NULL CHECK (status IN ('running','ok','failed')),
                rows_read        BIGINT NOT NULL DEFAULT 0,
                rows_inserted    BIGINT NOT NULL DEFAULT 0,
                rows_duplicate   BIGINT NOT NULL DEFAULT 0,
                rows_quarantined BIGINT NOT NULL DEFAULT 0,
                error            \(text)
            );
            CREATE TABLE requests (
                ts            BIGINT NOT NULL,
                key           BIGINT NOT NULL,
                tenant        \(text) NOT NULL,
                provider      \(text) NOT NULL REFERENCES providers(id),
                model         \(text) NOT NULL,
                operation     \(text) NOT NULL,
                region        \(text) NOT NULL,
                input_tokens  BIGINT NOT NULL CHECK (input_tokens >= 0),
                output_tokens BIGINT NOT NULL CHECK (output_tokens >= 0),
                cached_tokens BIGINT NOT NULL CHECK (cached_tokens >= 0),
                latency_ms    DOUBLE PRECISION,
                ttft_ms       DOUBLE PRECISION,
                status        \(text) NOT NULL,
                cost          NUMERIC,
                request_id    \(text),
                run_id        BIGINT NOT NULL,
                PRIMARY KEY (ts, key)
            );
            CREATE TABLE quarantine (
                id       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                run_id   BIGINT NOT NULL REFERENCES ingest_runs(id),
                location \(text) NOT NULL,
                line     BIGINT NOT NULL,
                field    \(text),
                reason   \(text) NOT NULL,
                raw      \(text) NOT NULL,
                UNIQUE (location, line, raw)
            );
            CREATE TABLE usage_buckets (
                key                 BIGINT NOT NULL,
                source              \(text) NOT NULL,
                account             \(text) NOT NULL,
                bucket_start        BIGINT NOT NULL,
                bucket_end          BIGINT NOT NULL,
                provider            \(text) NOT NULL,
                model               \(text) NOT NULL DEFAULT '',
                project             \(text) NOT NULL DEFAULT '',
                api_key             \(text) NOT NULL DEFAULT '',
                dimensions          \(text) NOT NULL DEFAULT '{}',
                requests            BIGINT NOT NULL DEFAULT 0,
                input_tokens        BIGINT NOT NULL DEFAULT 0,
                cached_input_tokens BIGINT NOT NULL DEFAULT 0,
                output_tokens       BIGINT NOT NULL DEFAULT 0,
                audio_input_tokens  BIGINT NOT NULL DEFAULT 0,
                audio_output_tokens BIGINT NOT NULL DEFAULT 0,
                image_tokens        BIGINT NOT NULL DEFAULT 0,
                run_id              BIGINT REFERENCES ingest_runs(id),
                PRIMARY KEY (bucket_start, key),
                CHECK (bucket_end > bucket_start)
            );
            CREATE TABLE billing_lines (
                id                   BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                source               \(text) NOT NULL,
                natural_key          \(text) NOT NULL UNIQUE,
                billing_account_id   \(text),
                billing_period_start BIGINT,
                billing_period_end   BIGINT,
                charge_period_start  BIGINT NOT NULL,
                charge_period_end    BIGINT NOT NULL,
                provider_name        \(text) NOT NULL,
                publisher_name       \(text),
                invoice_issuer_name  \(text),
                service_name         \(text),
                service_category     \(text),
                charge_category      \(text) NOT NULL,
                charge_class         \(text),
                charge_description   \(text),
                sku_id               \(text),
                resource_id          \(text),
                region_id            \(text),
                billed_cost          NUMERIC NOT NULL,
                effective_cost       NUMERIC,
                list_cost            NUMERIC,
                contracted_cost      NUMERIC,
                billing_currency     \(text) NOT NULL,
                consumed_quantity    \(text),
                consumed_unit        \(text),
                pricing_quantity     \(text),
                pricing_unit         \(text),
                tags                 \(text) NOT NULL DEFAULT '{}',
                team                 \(text),
                tenant               \(text),
                project              \(text),
                extra                \(text) NOT NULL DEFAULT '{}',
                run_id               BIGINT REFERENCES ingest_runs(id),
                CHECK (charge_period_end >= charge_period_start)
            );
            CREATE INDEX billing_lines_period ON billing_lines(charge_period_start);
            CREATE TABLE checkpoints (
                source     \(text) NOT NULL,
                account    \(text) NOT NULL,
                cursor     \(text) NOT NULL,
                updated_at BIGINT NOT NULL,
                run_id     BIGINT REFERENCES ingest_runs(id),
                PRIMARY KEY (source, account)
            );
            CREATE TABLE models (
                id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                kind       \(text) NOT NULL,
                version    BIGINT NOT NULL,
                path       \(text) NOT NULL,
                sha256     \(text) NOT NULL,
                created_at BIGINT NOT NULL,
                train_from BIGINT,
                train_to   BIGINT,
                rows       BIGINT,
                metrics    \(text) NOT NULL DEFAULT '{}',
                UNIQUE (kind, version)
            );
            """),
        Migration(version: 2, name: "usage token kinds, billing sub-accounts and unit prices", sql: """
            ALTER TABLE usage_buckets ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE usage_buckets ADD COLUMN output_image_tokens INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE usage_buckets ADD COLUMN web_search_requests INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE usage_buckets ADD COLUMN metrics TEXT NOT NULL DEFAULT '{}';
            ALTER TABLE billing_lines ADD COLUMN billing_account_name TEXT;
            ALTER TABLE billing_lines ADD COLUMN sub_account_id TEXT;
            ALTER TABLE billing_lines ADD COLUMN sub_account_name TEXT;
            ALTER TABLE billing_lines ADD COLUMN list_unit_price TEXT;
            CREATE INDEX billing_lines_provider ON billing_lines(provider_name, charge_period_start);
            ALTER TABLE ingest_runs ADD COLUMN rows_updated INTEGER NOT NULL DEFAULT 0;
            """, postgres: """
            ALTER TABLE usage_buckets ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE usage_buckets ADD COLUMN output_image_tokens BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE usage_buckets ADD COLUMN web_search_requests BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE usage_buckets ADD COLUMN metrics \(text) NOT NULL DEFAULT '{}';
            ALTER TABLE billing_lines ADD COLUMN billing_account_name \(text);
            ALTER TABLE billing_lines ADD COLUMN sub_account_id \(text);
            ALTER TABLE billing_lines ADD COLUMN sub_account_name \(text);
            ALTER TABLE billing_lines ADD COLUMN list_unit_price NUMERIC;
            CREATE INDEX billing_lines_provider ON billing_lines(provider_name, charge_period_start);
            ALTER TABLE ingest_runs ADD COLUMN rows_updated BIGINT NOT NULL DEFAULT 0;
            """),
        // One row per request the gateway answered from its cache; saved is the exact cost the
        // cached answer had upstream (what the hit did not spend). Kept apart from requests so
        // that training never sees a cache's latency as a provider's.
        Migration(version: 3, name: "gateway cache hits", sql: """
            CREATE TABLE cache_hits (
                ts            INTEGER NOT NULL,
                key           INTEGER NOT NULL,
                tenant        TEXT NOT NULL,
                provider      TEXT NOT NULL REFERENCES providers(id),
                model         TEXT NOT NULL,
                operation     TEXT NOT NULL,
                input_tokens  INTEGER NOT NULL CHECK (input_tokens >= 0),
                output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
                cached_tokens INTEGER NOT NULL CHECK (cached_tokens >= 0),
                latency_ms    REAL,
                saved         TEXT,
                request_id    TEXT NOT NULL,
                run_id        INTEGER NOT NULL,
                PRIMARY KEY (ts, key)
            ) WITHOUT ROWID;
            """, postgres: """
            CREATE TABLE cache_hits (
                ts            BIGINT NOT NULL,
                key           BIGINT NOT NULL,
                tenant        \(text) NOT NULL,
                provider      \(text) NOT NULL REFERENCES providers(id),
                model         \(text) NOT NULL,
                operation     \(text) NOT NULL,
                input_tokens  BIGINT NOT NULL CHECK (input_tokens >= 0),
                output_tokens BIGINT NOT NULL CHECK (output_tokens >= 0),
                cached_tokens BIGINT NOT NULL CHECK (cached_tokens >= 0),
                latency_ms    DOUBLE PRECISION,
                saved         NUMERIC,
                request_id    \(text) NOT NULL,
                run_id        BIGINT NOT NULL,
                PRIMARY KEY (ts, key)
            );
            """),
        // PostgreSQL checks a foreign key with a query per inserted row: two thirds of a bulk
        // load's time. `requests.provider` is checked by ``RequestWriter`` instead (against the
        // providers it locks `FOR KEY SHARE`, as the key's check would), as SQLite's ingest
        // already does, and a trigger keeps a referenced provider from being deleted or renamed
        // (`cache_hits`' foreign key still refuses a TRUNCATE of providers). SQLite keeps its
        // foreign key (bulk loads turn its check off instead).
        Migration(version: 4, name: "requests.provider checked by the writer on PostgreSQL", sql: """
            -- nothing on SQLite
            """, postgres: """
            ALTER TABLE requests DROP CONSTRAINT requests_provider_fkey;
            CREATE FUNCTION mosaic_provider_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (TG_OP = 'DELETE' OR OLD.id IS DISTINCT FROM NEW.id)
                   AND EXISTS (SELECT 1 FROM requests WHERE provider = OLD.id) THEN
                    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                        MESSAGE = 'update or delete on table "providers" violates foreign key constraint "requests_provider_fkey" on table "requests"',
                        DETAIL = format('Key (id)=(%s) is still referenced from table "requests".', OLD.id); END IF; RETURN NULL; END $$;
            CREATE TRIGGER providers_in_use AFTER DELETE OR UPDATE OF id ON providers
                FOR EACH ROW EXECUTE FUNCTION mosaic_provider_in_use();
            """),
        // FOCUS lines were keyed by a hash of the row's raw text, so a re-export with its
        // columns in another order, a decimal spelled otherwise or one column more stored
        // every line again. Their keys now hash the parsed values (``BillingLine/focusIdentity``);
        // every input of that hash is a stored column, so stored lines are rekeyed here and a
        // file ingested before the migration matches its lines after it. See
        // ``Schema/rekeyFOCUSLines(_:)``.
        Migration(version: 5, name: "FOCUS line keys from parsed values", sql: """
            -- rekeyed in Swift
            """, postgres: """
            -- rekeyed in Swift
            """, code: { (db) throws(StoreError) in try Schema.rekeyFOCUSLines(db) }),
        // A killed ingest left its run `running` for ever. A run now records the process that
        // began it (``RunOwner``: pid, host, and on Linux the boot and the process's start), so
        // a later ingest or `mosaic db runs` on that machine marks a run whose process is gone
        // `interrupted` (``Store/markInterruptedRuns()``). The status check gains the word; SQLite
        // cannot alter a check, so the table is rebuilt with its rows and ids: the foreign keys
        // of quarantine, usage_buckets, billing_lines and checkpoints name the table, and are checked
        // at commit (deferred), when the rows are back.
        Migration(version: 6, name: "ingest runs record their process; interrupted runs", sql: """
            PRAGMA defer_foreign_keys = ON;
            CREATE TEMP TABLE ingest_runs_v5 AS SELECT * FROM ingest_runs;
            DROP TABLE ingest_runs;
            CREATE TABLE ingest_runs (
                id               INTEGER PRIMARY KEY,
                source           TEXT NOT NULL,
                location         TEXT NOT NULL,
                started_at       INTEGER NOT NULL,
                finished_at      INTEGER,
                status           TEXT NOT NULL CHECK (status IN ('running','ok','failed','interrupted')),
                rows_read        INTEGER NOT NULL DEFAULT 0,
                rows_inserted    INTEGER NOT NULL DEFAULT 0,
                rows_duplicate   INTEGER NOT NULL DEFAULT 0,
                rows_quarantined INTEGER NOT NULL DEFAULT 0,
                error            TEXT,
                rows_updated     INTEGER NOT NULL DEFAULT 0,
                pid              INTEGER,
                host             TEXT,
                process_start    TEXT
            );
            INSERT INTO ingest_runs(id, source, location, started_at, finished_at, status, rows_read, rows_inserted,
                                    rows_duplicate, rows_quarantined, error, rows_updated)
                SELECT id, source, location, started_at, finished_at, status, rows_read, rows_inserted,
                       rows_duplicate, rows_quarantined, error, rows_updated FROM ingest_runs_v5;
            DROP TABLE ingest_runs_v5;
            """, postgres: """
            ALTER TABLE ingest_runs DROP CONSTRAINT ingest_runs_status_check,
                ADD CONSTRAINT ingest_runs_status_check CHECK (status IN ('running','ok','failed','interrupted')),
                ADD COLUMN pid BIGINT, ADD COLUMN host \(text), ADD COLUMN process_start \(text);
            """),
    ]
}
