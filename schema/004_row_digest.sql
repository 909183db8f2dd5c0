-- pedigree index, schema version 4: every events column is covered by a digest
-- (docs/formats/index.md, "Integrity").
--
-- payload_sha256 covers only the statement; the columns beside it (status, signer,
-- subject, predicate, ...) decide whether a statement counts, and a byte changed in
-- one of them (untrusted -> trusted signer, revoked -> valid) was used unchecked.
-- row_sha256 is the SHA-256 of the row's other columns (length-prefixed, in the order
-- of src/pedigree/index/integrity.cpp: event_row_digest) as its 32 raw bytes; every
-- query checks it before using the row.
--
-- Existing rows have no digest: as in 003, the migration empties every table derived
-- from the ledger and forgets the last indexed commit, so the next update rebuilds.

ALTER TABLE events ADD COLUMN row_sha256 BLOB NOT NULL DEFAULT x'';

DELETE FROM events;
DELETE FROM keys;
DELETE FROM problems;
DELETE FROM artifacts;
DELETE FROM aliases;
DELETE FROM edges;
DELETE FROM fingerprints;
DELETE FROM revocations;
DELETE FROM meta WHERE key = 'last_commit';
