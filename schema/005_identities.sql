-- pedigree index, schema version 5: community identities of models (docs/formats/index.md).
-- A Civitai model-version id and a Hugging Face "owner/name@revision" in model events
-- resolve a pasted AIR / repository without scanning every event. Partial indexes on
-- model rows, as in 002; no data changes (nothing to rebuild). IF NOT EXISTS: applying it
-- again (an index whose user_version was set back) changes nothing.

CREATE INDEX IF NOT EXISTS events_model_civitai_version ON events (json_extract(payload, '$.predicate.civitai_version'))
  WHERE predicate = 'model' AND json_valid(payload);
CREATE INDEX IF NOT EXISTS events_model_hf_repo ON events (lower(json_extract(payload, '$.predicate.hf_repo')))
  WHERE predicate = 'model' AND json_valid(payload);
