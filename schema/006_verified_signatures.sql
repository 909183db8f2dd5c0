-- pedigree index, schema version 6: signatures already verified (docs/formats/index.md,
-- "Verified signatures"). One row per event file whose envelope signature was checked with
-- Ed25519: the SHA-256 of the file's exact bytes (the event id) and the signer's keyid (the
-- SHA-256 of its public key), both 32 raw bytes. Not derived from the ledger's rows, so a
-- rebuild keeps it (Indexer::clear leaves it); deleting it, or the whole index, only costs
-- time. IF NOT EXISTS: applying it again changes nothing.

CREATE TABLE IF NOT EXISTS verified_signatures (
  event_sha256 BLOB NOT NULL,
  keyid BLOB NOT NULL,
  PRIMARY KEY (event_sha256, keyid)
) WITHOUT ROWID;
