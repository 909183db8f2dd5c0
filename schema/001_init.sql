-- pedigree index, schema version 1 (PRAGMA user_version = 1).
-- The index is disposable: everything here is derived from the ledger and can
-- be rebuilt with `pedigree index rebuild`. Spec: docs/formats/index.md.

-- last_commit: the ledger commit the index reflects; ledger: its directory.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

-- Keys whose keys/<keyid>.json verified.
CREATE TABLE keys (
  keyid TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,           -- base64 of the raw 32 bytes
  name TEXT NOT NULL,
  email TEXT NOT NULL
) WITHOUT ROWID;

-- Every event file seen, valid or not. Only 'valid' events feed the tables below.
CREATE TABLE events (
  id TEXT PRIMARY KEY,                -- SHA-256 of the file bytes
  path TEXT NOT NULL,
  subject TEXT NOT NULL,              -- from the path (payload subject checked equal when valid)
  signer TEXT NOT NULL,               -- keyid of the signature ('' if unreadable)
  predicate TEXT NOT NULL,            -- model|lineage|fingerprint|claim|revocation ('' if unverified)
  status TEXT NOT NULL CHECK (status IN ('valid', 'invalid', 'unknown-key', 'revoked', 'duplicate')),
  error TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL,       -- '' unless the signature verified
  payload TEXT NOT NULL,              -- the verified statement ('' unless verified)
  blob TEXT NOT NULL                  -- git blob id, to re-verify when the signer's key arrives
) WITHOUT ROWID;
CREATE INDEX events_subject ON events (subject);
CREATE INDEX events_signer ON events (signer, status);
CREATE INDEX events_payload ON events (signer, payload_sha256);

-- Files that are not valid ledger entries: stray files, symlinks, bad key files.
CREATE TABLE problems (path TEXT PRIMARY KEY, error TEXT NOT NULL) WITHOUT ROWID;

-- Artifacts: subjects of at least one valid event.
CREATE TABLE artifacts (sha256 TEXT PRIMARY KEY) WITHOUT ROWID;

-- Hash aliases declared by valid events (model hashes, subject weights digests).
CREATE TABLE aliases (
  value TEXT NOT NULL,                -- lower-case hex
  kind TEXT NOT NULL,                 -- autov1|autov3|crc32|blake3|weights|unet|...
  sha256 TEXT NOT NULL,               -- the artifact
  event TEXT NOT NULL,
  PRIMARY KEY (value, kind, sha256, event)
) WITHOUT ROWID;
CREATE INDEX aliases_event ON aliases (event);

-- Declared lineage: one row per parent of a valid lineage event.
CREATE TABLE edges (
  event TEXT NOT NULL,
  child TEXT NOT NULL,                -- subject SHA-256
  parent TEXT NOT NULL,               -- parent digest value
  parent_kind TEXT NOT NULL,          -- 'sha256' or 'pedigree-weights-v1'
  relation TEXT NOT NULL,
  weight TEXT,                        -- decimal string or NULL
  block_weights TEXT,                 -- JSON array of 26 decimal strings or NULL
  method TEXT NOT NULL,
  basis TEXT NOT NULL,
  PRIMARY KEY (event, parent)
) WITHOUT ROWID;
CREATE INDEX edges_child ON edges (child);
CREATE INDEX edges_parent ON edges (parent);

CREATE TABLE fingerprints (
  event TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  spec TEXT NOT NULL,
  data TEXT NOT NULL                  -- base64 as in the event
) WITHOUT ROWID;
CREATE INDEX fingerprints_subject ON fingerprints (subject);

-- Valid revocation events (effective only when target and revocation share a signer).
CREATE TABLE revocations (
  event TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  signer TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX revocations_target ON revocations (target);

-- The trust policy in force at the last update (pinned and user entries).
CREATE TABLE trust (
  keyid TEXT NOT NULL,
  predicate TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('pinned', 'user')),
  PRIMARY KEY (keyid, predicate)
) WITHOUT ROWID;
