// The SQLite index of a ledger: artifacts, hash aliases, events with their
// verification status, lineage edges, fingerprints, keys and trust, built
// from the ledger's git history. Disposable (rebuildable at any time), WAL
// mode, one transaction per update: a crash mid-update leaves the previous
// state and the next update redoes the work. Schema: schema/*.sql,
// docs/formats/index.md.
//
// Invalid events (bad signature, unknown key, malformed, wrong directory,
// oversized, duplicate, revoked) are recorded with their status and error and
// never feed artifacts, aliases, edges or fingerprints.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/index/sqlite.hpp"
#include "pedigree/ledger/git.hpp"
#include "pedigree/ledger/trust.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::index {

struct UpdateStats {
  bool rebuilt = false;    // full rebuild rather than incremental
  std::string commit;      // the commit now indexed
  std::size_t files = 0;   // files examined
  std::size_t events = 0;  // event files (re)verified
  // Of those, signatures found in the table of verified signatures (no Ed25519 check).
  std::size_t signatures_remembered = 0;
};

struct HashMatch {
  std::string kind;  // sha256|autov2|sha256_12|sha256-prefix|autov1|autov3|crc32|crc32-civitai|...
  std::string sha256;  // the artifact
  std::string event;   // declaring event ('' for prefixes of the artifact's own SHA-256)
  std::string signer;
  // Alias: signer trusted for 'model'. Prefix of the artifact's SHA-256: a
  // trusted event is about it or names it as a parent (a full SHA-256 always).
  bool trusted = false;
};

struct EdgeRow {
  std::string event, child, parent, parent_kind, relation, method, basis, signer;
  std::optional<std::string> weight;
  std::optional<std::string> block_weights;  // JSON array text
  bool trusted = false;                      // signer trusted for 'lineage'
};

struct EventRow {
  std::string id, path, subject, signer, predicate, status, error;
  std::string payload;   // verified statement JSON ('' unless the signature verified)
  bool trusted = false;  // status valid and signer trusted for this predicate
};

// A valid model event that gives its subject a reference role (queries for `check`).
struct ReferenceRow {
  std::string event, subject, signer, role;
  bool trusted = false;  // signer trusted for 'model' and for reference roles
};

// A valid fingerprint event (data: base64 of the .fp bytes, as in the event).
struct FingerprintRow {
  std::string event, subject, signer, spec, data;
  bool trusted = false;  // signer trusted for 'fingerprint'
};

// A model event whose title or file name starts with a searched prefix.
struct NameMatch {
  std::string sha256;
  std::string name;      // the matching title or file name, as the event gives it
  bool trusted = false;  // some matching event's signer is trusted for 'model'
};

struct KeyRow {
  std::string keyid, name, email, public_key;
};

struct TrustRow {
  std::string keyid, predicate, source;
};

struct StatusCounts {
  std::size_t valid = 0, untrusted = 0, invalid = 0, unknown_key = 0, revoked = 0, duplicate = 0,
              problems = 0;
};

class Index;

// The events of one subject after another through one prepared statement
// (Index::events_of prepares a statement per call), for walks over many
// subjects. Rows as Index::events_of returns them. Valid while the Index lives.
class SubjectEvents {
public:
  static Result<SubjectEvents> prepare(Index& index);
  Result<std::vector<EventRow>> of(std::string_view subject);

private:
  explicit SubjectEvents(Statement st) : m_st(std::move(st)) {}
  Statement m_st;
};

class Index {
public:
  // Opens (creating and migrating) the index file at `path`, in WAL mode.
  static Result<Index> open(const std::filesystem::path& path);
  // A private in-memory index (used by `verify` on a working tree).
  static Result<Index> open_memory();

  // Brings the index to `repo`'s HEAD: incremental from the last indexed
  // commit when it is an ancestor and the diff only adds files, else a full
  // rebuild. Records `policy` in the trust table. One transaction.
  Result<UpdateStats> update(ledger::GitRepo& repo, const ledger::TrustPolicy& policy);
  // Rebuilds from scratch from HEAD.
  Result<UpdateStats> rebuild(ledger::GitRepo& repo, const ledger::TrustPolicy& policy);
  // Indexes the files of a working tree directory (not git): used to verify
  // what is on disk, including symlinks and stray files. One transaction.
  Result<UpdateStats> index_directory(const std::filesystem::path& dir,
                                      const ledger::TrustPolicy& policy);

  // Records signatures checked with Ed25519 elsewhere (sync's verification of
  // incoming commits: ledger::VerifiedEvent's event_id and signer), so that the
  // next update or rebuild does not check them again (docs/formats/index.md,
  // "Verified signatures"). One transaction; pairs that are not two SHA-256
  // digests in hex are skipped.
  Result<void> remember_signatures(
      const std::vector<std::pair<std::string, std::string>>& event_and_signer);

  // Artifacts matching `value` (any case) as any hash kind, or only as `kind`
  // when given. AutoV1 and CRC32 values may match several artifacts: all are
  // returned (candidates). SHA-256 prefixes of >= 8 digits match artifacts.
  Result<std::vector<HashMatch>> lookup_hash(std::string_view value,
                                             std::optional<std::string_view> kind = std::nullopt);
  Result<std::vector<EdgeRow>> parents(std::string_view sha256);
  Result<std::vector<EdgeRow>> children(std::string_view sha256);
  // Every event about `subject` (all statuses), by id.
  Result<std::vector<EventRow>> events_of(std::string_view subject);
  Result<std::optional<EventRow>> event(std::string_view id);
  // Events that are not valid, or valid but untrusted when `include_untrusted`.
  Result<std::vector<EventRow>> problem_events(bool include_untrusted);
  // Stray files, symlinks and bad key files: (path, error).
  Result<std::vector<std::pair<std::string, std::string>>> problem_files();
  Result<std::vector<KeyRow>> keys();
  Result<std::vector<TrustRow>> trust();
  Result<StatusCounts> counts();
  Result<std::optional<std::string>> last_commit();

  // Lookups for `check` (reference_queries.cpp; schema/002_lookup.sql indexes them).
  // Model events with a `role` (base, nai-leak, nai-official, nai-vae,
  // independent), any trust; `trusted` only when the signer holds the reference
  // scope too.
  Result<std::vector<ReferenceRow>> reference_models();
  // Subjects of valid model events whose title, file name or subject name,
  // lower-cased, is one of `lower_names`. At most 1000 subjects, those named
  // by a signer trusted for 'model' first.
  Result<std::vector<std::string>> subjects_named(const std::vector<std::string>& lower_names);
  // Subjects of valid model events with this Civitai model-version id
  // (`field` "civitai_version") or lower-cased Hugging Face "owner/name@rev"
  // (`field` "hf_repo"; with `prefix`, every revision of "owner/name@"). At
  // most 1000 subjects, those of signers trusted for 'model' first.
  Result<std::vector<std::string>> subjects_with_identity(std::string_view field,
                                                          const std::string& value, bool prefix);
  // Subjects of valid model events whose title or file name, lower-cased,
  // starts with `lower_prefix` (a range probe of the name indexes), at most
  // `limit`, trusted ones first. Nothing for an empty prefix.
  Result<std::vector<NameMatch>> names_with_prefix(std::string_view lower_prefix,
                                                   std::size_t limit);
  // Valid fingerprint events about `subject`.
  Result<std::vector<FingerprintRow>> fingerprints_of(std::string_view subject);

  Database& database() { return m_db; }

private:
  explicit Index(Database db) : m_db(std::move(db)) {}
  Database m_db;
};

}  // namespace pedigree::index
