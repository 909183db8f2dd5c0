-- pedigree index, schema version 2: lookups for `pedigree check` (docs/formats/index.md).
-- Expression indexes over the verified payloads of model events, so that
-- reference models (by role) and model names resolve without scanning every
-- event of a large ledger. Only rows of model events are indexed (partial indexes).

-- Reference models: base, nai-leak, nai-official, nai-vae, independent.
CREATE INDEX events_model_role ON events (json_extract(payload, '$.predicate.role'))
  WHERE predicate = 'model' AND json_valid(payload);
-- Model names, case-insensitive: the title, the file name and the subject name.
CREATE INDEX events_model_title ON events (lower(json_extract(payload, '$.predicate.title')))
  WHERE predicate = 'model' AND json_valid(payload);
CREATE INDEX events_model_file_name ON events (lower(json_extract(payload, '$.predicate.file_name')))
  WHERE predicate = 'model' AND json_valid(payload);
CREATE INDEX events_model_subject_name ON events (lower(json_extract(payload, '$.subject[0].name')))
  WHERE predicate = 'model' AND json_valid(payload);
