-- schema.sql: the pftls database (PRAGMA user_version = 3; pftls migrates
-- versions 1 and 2 on opening, see src/store/schema_migration.cpp).
-- Purpose: what the named queries need, not every log line: failed STARTTLS
-- sessions; sessions and accepted messages of clients that failed before
-- ("watched" clients); per-client counts; per-host facts; the correlation
-- state still open at the end of a run; one row per run. Times are integer
-- microseconds since the epoch, UTC; *_ord columns give log order (a global
-- line counter) to break ties between lines of the same second.

CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS sessions (
  id                INTEGER PRIMARY KEY,
  mx_host           TEXT NOT NULL,
  syslog_name       TEXT NOT NULL,
  pid               INTEGER NOT NULL,
  client_ip         TEXT NOT NULL DEFAULT '',
  client_name       TEXT NOT NULL DEFAULT '',
  client_subnet     TEXT NOT NULL DEFAULT '',  -- IPv4 /24, IPv6 /64
  org_domain        TEXT NOT NULL DEFAULT '',  -- registrable domain of client_name
  -- The sender under --match subnet / org (the IP where there is no subnet or domain).
  subnet_key        TEXT GENERATED ALWAYS AS
                      (CASE WHEN client_subnet = '' THEN client_ip ELSE client_subnet END) STORED,
  org_key           TEXT GENERATED ALWAYS AS
                      (CASE WHEN org_domain = '' THEN client_ip ELSE org_domain END) STORED,
  connect_at        INTEGER,           -- NULL: connect line not seen
  end_at            INTEGER,           -- NULL: still open
  first_ord         INTEGER NOT NULL,
  failed            INTEGER NOT NULL DEFAULT 0,
  failure_at        INTEGER,
  failure_ord       INTEGER,
  failure_reason    TEXT,
  openssl_code      TEXT,
  tls               INTEGER NOT NULL DEFAULT 0,
  tls_at            INTEGER,
  tls_ord           INTEGER,
  counters_present  INTEGER NOT NULL DEFAULT 0,
  starttls_attempts INTEGER,           -- NULL: no counters
  starttls_ok       INTEGER,
  messages          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_failed ON sessions (mx_host, client_ip, failure_at)
  WHERE failed = 1;
CREATE INDEX IF NOT EXISTS sessions_tls ON sessions (mx_host, client_ip, tls_at)
  WHERE tls = 1 AND failed = 0;
-- The failures query's order: it streams its rows instead of sorting them all.
CREATE INDEX IF NOT EXISTS sessions_failed_time ON sessions (failure_at, failure_ord, id)
  WHERE failed = 1;
CREATE INDEX IF NOT EXISTS sessions_failed_subnet ON sessions (mx_host, subnet_key, failure_at)
  WHERE failed = 1;
CREATE INDEX IF NOT EXISTS sessions_failed_org ON sessions (mx_host, org_key, failure_at)
  WHERE failed = 1;
CREATE INDEX IF NOT EXISTS sessions_tls_subnet ON sessions (mx_host, subnet_key, tls_at)
  WHERE tls = 1 AND failed = 0;
CREATE INDEX IF NOT EXISTS sessions_tls_org ON sessions (mx_host, org_key, tls_at)
  WHERE tls = 1 AND failed = 0;
-- The metrics' failures by host and reason: counted from the index alone
-- (failed in it too: SQLite 3.40 reads a partial index's WHERE column from
-- the table).
-- Also made on opening an existing database of this version for writing.
CREATE INDEX IF NOT EXISTS sessions_failed_reason ON sessions (mx_host, failure_reason, failed)
  WHERE failed = 1;

CREATE TABLE IF NOT EXISTS messages (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES sessions (id),
  mx_host       TEXT NOT NULL,
  queue_id      TEXT NOT NULL,
  client_ip     TEXT NOT NULL,
  client_name   TEXT NOT NULL,
  client_subnet TEXT NOT NULL DEFAULT '',
  org_domain    TEXT NOT NULL DEFAULT '',
  subnet_key    TEXT GENERATED ALWAYS AS
                  (CASE WHEN client_subnet = '' THEN client_ip ELSE client_subnet END) STORED,
  org_key       TEXT GENERATED ALWAYS AS
                  (CASE WHEN org_domain = '' THEN client_ip ELSE org_domain END) STORED,
  accepted_at   INTEGER NOT NULL,
  accepted_ord  INTEGER NOT NULL,
  message_id    TEXT NOT NULL DEFAULT '',
  sender        TEXT NOT NULL DEFAULT '',
  recipients    TEXT NOT NULL DEFAULT ''  -- one address per line (char(10))
);
CREATE INDEX IF NOT EXISTS messages_client ON messages (mx_host, client_ip, accepted_at);
CREATE INDEX IF NOT EXISTS messages_subnet ON messages (mx_host, subnet_key, accepted_at);
CREATE INDEX IF NOT EXISTS messages_org ON messages (mx_host, org_key, accepted_at);
CREATE INDEX IF NOT EXISTS messages_session ON messages (session_id);

CREATE TABLE IF NOT EXISTS client_stats (
  client_ip          TEXT PRIMARY KEY,
  client_name        TEXT NOT NULL DEFAULT '',
  org_domain         TEXT NOT NULL DEFAULT '',
  sessions           INTEGER NOT NULL DEFAULT 0,
  tls_sessions       INTEGER NOT NULL DEFAULT 0,
  plaintext_sessions INTEGER NOT NULL DEFAULT 0,
  failed_sessions    INTEGER NOT NULL DEFAULT 0,
  starttls_sessions  INTEGER NOT NULL DEFAULT 0,
  messages           INTEGER NOT NULL DEFAULT 0,
  plaintext_messages INTEGER NOT NULL DEFAULT 0,
  first_seen         INTEGER,
  last_seen          INTEGER,
  named_at           INTEGER NOT NULL DEFAULT 0  -- when the session that gave client_name began
) WITHOUT ROWID;
-- never_tls.sql's rows in its order, with every column it shows: the
-- listing streams from the index (its first rows at once, not after a sort
-- of every client). Its WHERE is never_tls.sql's, word for word (the planner
-- uses a partial index only then). Also made on opening an existing
-- database of this version for writing.
CREATE INDEX IF NOT EXISTS client_stats_never_tls
  ON client_stats (messages DESC, client_ip, client_name, sessions, first_seen, last_seen)
  WHERE messages > 0 AND tls_sessions = 0 AND starttls_sessions = 0 AND failed_sessions = 0;

CREATE TABLE IF NOT EXISTS hosts (
  mx_host              TEXT PRIMARY KEY,
  newest_at            INTEGER NOT NULL,
  logs_tls_established INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The TLS inventory: what TLS sessions negotiated, per direction ('in':
-- smtpd's clients, 'out': servers our smtp/lmtp client delivered to), peer
-- (client_ip), host and parameters. protocol, cipher and trust '' and bits 0:
-- a TLS session whose parameters the log does not say (smtpd_tls_loglevel 0).
-- Upserted by adding counts; also made on opening an existing database of
-- this version for writing (SqliteStore's kAddedIndexes).
CREATE TABLE IF NOT EXISTS tls_inventory (
  direction  TEXT NOT NULL,
  client_ip  TEXT NOT NULL,
  mx_host    TEXT NOT NULL,
  protocol   TEXT NOT NULL,
  cipher     TEXT NOT NULL,
  bits       INTEGER NOT NULL,
  trust      TEXT NOT NULL,
  sessions   INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY (direction, client_ip, mx_host, protocol, cipher, bits, trust)
) WITHOUT ROWID;
-- Its sessions per direction, protocol and cipher (tls_mix, which the
-- report reads) are made and kept by SqliteStore (kTlsMixTable,
-- store/sqlite_store.cpp). PostgreSQL has a view of that name (pg/schema.sql).
-- Its rows per direction and peer as `pftls tls` lists them, with the peer's
-- name and the negotiations `pftls whatif` judges (tls_peers, keyed in the
-- listing's order, an index on the peer that holds the negotiations, and
-- the triggers that carry client_stats' names into it) are made and kept
-- the same way (kTlsPeersTable); PostgreSQL keeps its own (store/pg_store.cpp,
-- without the negotiations: pg/whatif.sql sums them from the inventory).

-- Inbound sessions per (host, UTC day, TLS state) for `pftls report`: day
-- is the UTC day start (unix seconds) of the session's first line;
-- tls_state 'tls', 'failed', 'plaintext' (no TLS, a message got a queue id)
-- or 'other' (no TLS, no message). A session is counted once, by the run
-- that sees it end: upserts add, so any split of the log into runs gives the
-- same rows. Also made on opening an existing database of this version for
-- writing.
CREATE TABLE IF NOT EXISTS session_days (
  mx_host   TEXT NOT NULL,
  day       INTEGER NOT NULL,
  tls_state TEXT NOT NULL,
  sessions  INTEGER NOT NULL,
  PRIMARY KEY (mx_host, day, tls_state)
) WITHOUT ROWID;

-- Cross-host marks (records.h, ClientMark): a plaintext message or a TLS
-- session that is stored nowhere else (its client was not watched on that
-- host), so that a failure another host logs, in a run committed before or
-- after, still meets it (incidents.sql). A run keeps every mark of its hosts
-- for the window plus 7 days behind the host's newest line, and after that
-- only the marks near a stored failure (Store::settle_marks(), which reads
-- the marks whole: they are few, and one B-tree each keeps a mark cheap).
-- A plaintext mark carries its evidence, as read at ingest time (each line
-- cut as evidence.raw is; '' and 0 when not kept, and in rows stored before
-- these columns were added within the version): its session's first line
-- (connect_*: "connect from") and the message's client= line (client_*).
CREATE TABLE IF NOT EXISTS plain_marks (
  id            INTEGER PRIMARY KEY,
  mx_host       TEXT NOT NULL,
  queue_id      TEXT NOT NULL,
  client_ip     TEXT NOT NULL,
  client_name   TEXT NOT NULL,
  client_subnet TEXT NOT NULL,
  org_domain    TEXT NOT NULL,
  subnet_key    TEXT GENERATED ALWAYS AS
                  (CASE WHEN client_subnet = '' THEN client_ip ELSE client_subnet END) STORED,
  org_key       TEXT GENERATED ALWAYS AS
                  (CASE WHEN org_domain = '' THEN client_ip ELSE org_domain END) STORED,
  accepted_at   INTEGER NOT NULL,
  accepted_ord  INTEGER NOT NULL,
  connect_input TEXT NOT NULL DEFAULT '',
  connect_line  INTEGER NOT NULL DEFAULT 0,
  connect_raw   TEXT NOT NULL DEFAULT '',
  client_input  TEXT NOT NULL DEFAULT '',
  client_line   INTEGER NOT NULL DEFAULT 0,
  client_raw    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS plain_marks_client ON plain_marks (client_ip, accepted_at);
CREATE TABLE IF NOT EXISTS tls_marks (
  client_ip TEXT NOT NULL,
  tls_at    INTEGER NOT NULL,
  mx_host   TEXT NOT NULL,
  tls_ord   INTEGER NOT NULL,
  PRIMARY KEY (client_ip, tls_at, mx_host, tls_ord)
) WITHOUT ROWID;
-- Cross-host look-ups: a client's failures and TLS sessions on any host.
CREATE INDEX IF NOT EXISTS sessions_failed_any ON sessions (client_ip, failure_at)
  WHERE failed = 1;
CREATE INDEX IF NOT EXISTS sessions_failed_any_subnet ON sessions (subnet_key, failure_at)
  WHERE failed = 1;
CREATE INDEX IF NOT EXISTS sessions_failed_any_org ON sessions (org_key, failure_at)
  WHERE failed = 1;
CREATE INDEX IF NOT EXISTS sessions_tls_any ON sessions (client_ip, tls_at)
  WHERE tls = 1 AND failed = 0;
CREATE INDEX IF NOT EXISTS messages_any ON messages (client_ip, accepted_at);

-- The raw log lines of stored sessions (failed ones and those of watched
-- clients), as read at ingest time: the evidence for a disclosure report.
CREATE TABLE IF NOT EXISTS evidence (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES sessions (id),
  input       TEXT NOT NULL,     -- the file it was read from
  line        INTEGER NOT NULL,  -- its line number there
  raw         TEXT NOT NULL      -- cut at 2048 bytes
);
CREATE INDEX IF NOT EXISTS evidence_session ON evidence (session_id, id);

-- Correlation state open at the end of the last run, picked up by the next,
-- in its order (seq). A session's columns are those of sessions, each field
-- as it is in memory (-1 for unknown counters, no NULLs).
CREATE TABLE IF NOT EXISTS open_sessions (
  seq               INTEGER PRIMARY KEY,
  session_id        INTEGER,             -- sessions.id when stored there
  mx_host           TEXT NOT NULL,
  syslog_name       TEXT NOT NULL,
  pid               INTEGER NOT NULL,
  client_ip         TEXT NOT NULL,
  client_name       TEXT NOT NULL,
  connect_at        INTEGER NOT NULL,
  end_at            INTEGER NOT NULL,
  first_ord         INTEGER NOT NULL,
  failed            INTEGER NOT NULL,
  failure_at        INTEGER NOT NULL,
  failure_ord       INTEGER NOT NULL,
  failure_reason    TEXT NOT NULL,
  openssl_code      TEXT NOT NULL,
  tls               INTEGER NOT NULL,
  tls_at            INTEGER NOT NULL,
  tls_ord           INTEGER NOT NULL,
  counters_present  INTEGER NOT NULL,
  starttls_attempts INTEGER NOT NULL,
  starttls_ok       INTEGER NOT NULL,
  messages          INTEGER NOT NULL,
  client_subnet     TEXT NOT NULL,
  org_domain        TEXT NOT NULL
);
-- An open session's raw lines not stored yet, in log order.
CREATE TABLE IF NOT EXISTS open_evidence (
  id           INTEGER PRIMARY KEY,
  open_session INTEGER NOT NULL REFERENCES open_sessions (seq),
  input        TEXT NOT NULL,
  line         INTEGER NOT NULL,
  raw          TEXT NOT NULL
);
-- The messages still followed (their queue ids may log more).
CREATE TABLE IF NOT EXISTS open_messages (
  message_id INTEGER PRIMARY KEY REFERENCES messages (id)
);

-- Outbound downgrades: our smtp client failed the handshake with a remote
-- MX and then delivered the message in plaintext (see outbound_tracker.h).
CREATE TABLE IF NOT EXISTS outbound (
  id               INTEGER PRIMARY KEY,
  mx_host          TEXT NOT NULL,
  queue_id         TEXT NOT NULL,
  relay_name       TEXT NOT NULL,
  relay_ip         TEXT NOT NULL,
  relay_port       TEXT NOT NULL,
  failure_at       INTEGER NOT NULL,
  failure_ord      INTEGER NOT NULL,
  failure_reason   TEXT NOT NULL,
  openssl_code     TEXT NOT NULL,
  failed_attempts  INTEGER NOT NULL,
  plaintext_at     INTEGER NOT NULL,
  plaintext_ord    INTEGER NOT NULL,
  recipients       TEXT NOT NULL,   -- one address per line
  fallback_seen    INTEGER NOT NULL
);

-- The raw log lines of outbound fallbacks, as read at ingest time: role
-- 'failed' (the failed attempts: SSL_connect error, library lines, "Cannot
-- start TLS", deferrals) or 'plaintext' (the plaintext deliveries). Made
-- also on opening an existing database of this version for writing.
CREATE TABLE IF NOT EXISTS outbound_evidence (
  id           INTEGER PRIMARY KEY,
  outbound_id  INTEGER NOT NULL REFERENCES outbound (id),
  role         TEXT NOT NULL,
  input        TEXT NOT NULL,
  line         INTEGER NOT NULL,
  raw          TEXT NOT NULL     -- cut at 2048 bytes
);
CREATE INDEX IF NOT EXISTS outbound_evidence_outbound ON outbound_evidence (outbound_id, id);
-- An outbound fallback's message-id and sender, from the cleanup and qmgr
-- lines of its queue id when the log has them.
CREATE TABLE IF NOT EXISTS outbound_messages (
  outbound_id  INTEGER PRIMARY KEY REFERENCES outbound (id),
  message_id   TEXT NOT NULL,
  sender       TEXT NOT NULL
);

-- Every failed STARTTLS handshake of our smtp/lmtp client once a queue id
-- claimed it (see outbound_tracker.h), and its outcome: 'pending' until the
-- queue id's next delivery status after it, then 'tls-retry' (sent, not in
-- plaintext), 'downgraded' (sent in plaintext) or 'bounced' (status=bounced
-- or expired), with that line's time in outcome_at (0 while pending). Made
-- also on opening an existing database of this version for writing.
CREATE TABLE IF NOT EXISTS outbound_failures (
  id              INTEGER PRIMARY KEY,
  mx_host         TEXT NOT NULL,
  queue_id        TEXT NOT NULL,
  relay_name      TEXT NOT NULL,
  relay_ip        TEXT NOT NULL,
  relay_port      TEXT NOT NULL,
  failure_at      INTEGER NOT NULL,
  failure_reason  TEXT NOT NULL,
  openssl_code    TEXT NOT NULL,
  outcome         TEXT NOT NULL,
  outcome_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbound_failures_pending ON outbound_failures (mx_host, queue_id)
  WHERE outcome = 'pending';
CREATE INDEX IF NOT EXISTS outbound_failures_time ON outbound_failures (failure_at, id);

-- The outbound tracker's pending state between runs, oldest first (seq):
-- failed handshakes not yet tied to a queue id, and messages with failures
-- (and maybe a saved fallback: outbound_id) whose outcome is not known yet.
CREATE TABLE IF NOT EXISTS open_outbound_failures (
  seq             INTEGER PRIMARY KEY,
  mx_host         TEXT NOT NULL,
  syslog_name     TEXT NOT NULL,
  pid             INTEGER NOT NULL,
  relay_name      TEXT NOT NULL,
  relay_ip        TEXT NOT NULL,
  relay_port      TEXT NOT NULL,
  failure_at      INTEGER NOT NULL,
  failure_ord     INTEGER NOT NULL,
  failure_reason  TEXT NOT NULL,
  openssl_code    TEXT NOT NULL,
  seen_at         INTEGER NOT NULL   -- for the age limit
);
CREATE TABLE IF NOT EXISTS open_outbound_messages (
  seq              INTEGER PRIMARY KEY,
  outbound_id      INTEGER,          -- outbound.id once a fallback was saved
  syslog_name      TEXT NOT NULL,    -- the process of the latest failed attempt
  pid              INTEGER NOT NULL,
  attempt_ord      INTEGER NOT NULL,
  fallback_open    INTEGER NOT NULL,
  seen_at          INTEGER NOT NULL,
  -- the record so far, as in outbound
  mx_host          TEXT NOT NULL,
  queue_id         TEXT NOT NULL,
  relay_name       TEXT NOT NULL,
  relay_ip         TEXT NOT NULL,
  relay_port       TEXT NOT NULL,
  failure_at       INTEGER NOT NULL,
  failure_ord      INTEGER NOT NULL,
  failure_reason   TEXT NOT NULL,
  openssl_code     TEXT NOT NULL,
  failed_attempts  INTEGER NOT NULL,
  plaintext_at     INTEGER NOT NULL,
  plaintext_ord    INTEGER NOT NULL,
  recipients       TEXT NOT NULL,
  fallback_seen    INTEGER NOT NULL
);

-- The pending outbound entries' raw lines, in log order: owner 'failure'
-- (the owner_seq-th row of open_outbound_failures in seq order) or
-- 'message' (of open_outbound_messages).
CREATE TABLE IF NOT EXISTS open_outbound_lines (
  id         INTEGER PRIMARY KEY,
  owner      TEXT NOT NULL,
  owner_seq  INTEGER NOT NULL,
  role       TEXT NOT NULL,
  input      TEXT NOT NULL,
  line       INTEGER NOT NULL,
  raw        TEXT NOT NULL
);
-- Recent queue ids' message-id and sender, for an outbound failure to come.
CREATE TABLE IF NOT EXISTS open_outbound_notes (
  seq         INTEGER PRIMARY KEY,
  mx_host     TEXT NOT NULL,
  queue_id    TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  sender      TEXT NOT NULL,
  seen_at     INTEGER NOT NULL
);

-- Every log file read, how far: a cron run reads only what is new.
CREATE TABLE IF NOT EXISTS inputs (
  id             INTEGER PRIMARY KEY,
  path           TEXT NOT NULL,      -- where it was last read
  fingerprint    BLOB NOT NULL,      -- its first decoded bytes (up to 1024)
  device         INTEGER NOT NULL,
  inode          INTEGER NOT NULL,
  offset         INTEGER NOT NULL,   -- decoded bytes read (whole lines)
  lines          INTEGER NOT NULL,
  year           INTEGER,            -- year state at offset, for yearless logs
  last_month     INTEGER NOT NULL,
  complete       INTEGER NOT NULL,   -- read to the end of a file that no longer grows
  pending_bytes  INTEGER NOT NULL,   -- a torn last line held back
  size           INTEGER NOT NULL,   -- on-disk size when last read
  mtime          INTEGER NOT NULL,
  last_read_at   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
  id             INTEGER PRIMARY KEY,
  started_at     INTEGER NOT NULL,
  finished_at    INTEGER NOT NULL,
  inputs         TEXT NOT NULL,
  lines          INTEGER NOT NULL,
  postfix_lines  INTEGER NOT NULL,
  unrecognised   INTEGER NOT NULL,
  malformed      INTEGER NOT NULL,
  truncated      INTEGER NOT NULL,
  sessions       INTEGER NOT NULL,
  failures       INTEGER NOT NULL,
  messages       INTEGER NOT NULL,
  new_incidents  INTEGER NOT NULL,
  -- What the bounds dropped in the run (DropCounts; 0 for runs of schema 1).
  evicted_sessions          INTEGER NOT NULL DEFAULT 0,
  evicted_messages          INTEGER NOT NULL DEFAULT 0,
  evidence_dropped          INTEGER NOT NULL DEFAULT 0,
  watch_full                INTEGER NOT NULL DEFAULT 0,
  clients_flushed           INTEGER NOT NULL DEFAULT 0,
  outbound_evicted_failures INTEGER NOT NULL DEFAULT 0,
  outbound_evicted_messages INTEGER NOT NULL DEFAULT 0,
  outbound_dropped          INTEGER NOT NULL DEFAULT 0
);
