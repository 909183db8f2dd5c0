-- pedigree index, schema version 3: smaller rows, written faster (docs/formats/index.md).
--
-- events becomes a rowid table. In the WITHOUT ROWID table of version 1, keyed by the
-- event id (a hash, so every insert landed on a random page), any row over ~1 KB (most
-- model events) spilled its payload to an overflow page of its own: 3.3 KB of file per
-- event. Now rows are appended in insertion order, a payload of up to ~4 KB stays in its
-- row, and the secondary indexes point at an 8-byte rowid instead of repeating the id.
-- payload_sha256 is stored as its 32 raw bytes (it is only compared, never shown).
-- fingerprints no longer copy the fingerprint data (~500 KB per event), which the
-- verified payload already holds.
--
-- The index is disposable, so the migration does not convert rows: it empties every
-- table derived from the ledger and forgets the last indexed commit, and the next update
-- rebuilds from the ledger's HEAD.

DROP TABLE events;
CREATE TABLE events (
  id TEXT NOT NULL UNIQUE,            -- SHA-256 of the file bytes (the path when another copy holds it)
  path TEXT NOT NULL,
  subject TEXT NOT NULL,              -- from the path (payload subject checked equal when valid)
  signer TEXT NOT NULL,               -- keyid of the signature ('' if unreadable)
  predicate TEXT NOT NULL,            -- model|lineage|fingerprint|claim|revocation ('' if unverified)
  status TEXT NOT NULL CHECK (status IN ('valid', 'invalid', 'unknown-key', 'revoked', 'duplicate')),
  error TEXT NOT NULL,
  payload_sha256 BLOB NOT NULL,       -- 32 bytes; empty unless the signature verified
  payload TEXT NOT NULL,              -- the verified statement ('' unless verified)
  blob TEXT NOT NULL                  -- git blob id, to re-verify when the signer's key arrives
);
CREATE INDEX events_subject ON events (subject);
-- Events waiting for their signer's key: only those rows.
CREATE INDEX events_waiting ON events (signer) WHERE status = 'unknown-key';
-- Duplicate detection: the same payload signed twice by one key.
CREATE INDEX events_payload ON events (signer, payload_sha256);
-- The lookups of schema/002_lookup.sql, on the new table.
CREATE INDEX events_model_role ON events (json_extract(payload, '$.predicate.role'))
  WHERE predicate = 'model' AND json_valid(payload);
CREATE INDEX events_model_title ON events (lower(json_extract(payload, '$.predicate.title')))
  WHERE predicate = 'model' AND json_valid(payload);
CREATE INDEX events_model_file_name ON events (lower(json_extract(payload, '$.predicate.file_name')))
  WHERE predicate = 'model' AND json_valid(payload);
CREATE INDEX events_model_subject_name ON events (lower(json_extract(payload, '$.subject[0].name')))
  WHERE predicate = 'model' AND json_valid(payload);

DROP TABLE fingerprints;
CREATE TABLE fingerprints (
  event TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  spec TEXT NOT NULL                  -- the data is the event's payload, $.predicate.data
) WITHOUT ROWID;
CREATE INDEX fingerprints_subject ON fingerprints (subject);

DELETE FROM keys;
DELETE FROM problems;
DELETE FROM artifacts;
DELETE FROM aliases;
DELETE FROM edges;
DELETE FROM revocations;
DELETE FROM meta WHERE key = 'last_commit';
