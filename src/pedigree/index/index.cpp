#include "pedigree/index/index.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <tuple>

#include <sqlite3.h>
#include <sys/stat.h>

#include "pedigree/index/indexer.hpp"
#include "pedigree/index/integrity.hpp"
#include "pedigree/index/key_lifecycle.hpp"
#include "pedigree/index/schema.hpp"
#include "pedigree/index/signature_memo.hpp"
#include "pedigree/index/verify_pipeline.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/util/fault.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::index {
namespace {

using ledger::EntryKind;

// Sorts entries into keys / events / problems and applies them: keys first.
struct Collected {
  std::vector<std::pair<std::string, std::string>> keys;  // (path, blob ref)
  std::vector<EventFile> events;
};

Result<void> collect(Indexer& indexer, const std::string& path, unsigned mode,
                     const std::string& ref, Collected& out) {
  if (mode == 0120000) return indexer.add_problem(path, path + ": symlink (refused in a ledger)");
  if (mode != 0100644) {
    return indexer.add_problem(
        path, path + ": not a regular non-executable file (mode " + std::to_string(mode) + ")");
  }
  ledger::LayoutEntry entry = ledger::classify_path(path);
  switch (entry.kind) {
    case EntryKind::k_ledger_json:
    case EntryKind::k_readme: return {};
    case EntryKind::k_key: out.keys.emplace_back(path, ref); return {};
    case EntryKind::k_event: out.events.push_back({path, ref}); return {};
    case EntryKind::k_stray: break;
  }
  return indexer.add_problem(path, path + ": stray file outside the ledger layout");
}

Result<void> apply_collected(Database& db, Indexer& indexer, Collected& files,
                             const Indexer::BlobReader& read, UpdateStats& stats) {
  for (const auto& [path, ref] : files.keys) {
    auto bytes = read(ref);
    if (!bytes) {
      PD_TRY(indexer.add_problem(path, bytes.error().with_context(path).message()));
      continue;
    }
    PD_TRY(indexer.apply_key(path, *bytes));
  }
  stats.events += files.events.size();
  PD_ASSIGN_OR_RETURN(const auto remembered, remembered_signatures(db, files.events));
  return verify_in_order(
      files.events, read, indexer.keys(),
      [&indexer, &stats](const EventFile& file, CheckedEvent checked) {
        if (checked.verified && checked.verified->signature_remembered)
          ++stats.signatures_remembered;
        return indexer.apply_event(file.path, file.ref, checked.bytes, std::move(checked.verified));
      },
      &remembered);
}

// The trust table's rows for `policy`: (keyid, predicate or "reference", source).
std::set<std::tuple<std::string, std::string, std::string>> trust_rows(
    const ledger::TrustPolicy& policy) {
  std::set<std::tuple<std::string, std::string, std::string>> rows;
  for (const auto& e : policy.entries()) {
    std::string source = e.source == ledger::TrustSource::k_pinned ? "pinned" : "user";
    for (auto kind : e.predicates)
      rows.insert({e.keyid, std::string(ledger::predicate_name(kind)), source});
    if (e.reference == ledger::ReferenceScope::k_included)
      rows.insert({e.keyid, std::string(ledger::k_reference_scope), source});
  }
  return rows;
}

Result<void> store_trust(Database& db, const ledger::TrustPolicy& policy) {
  PD_TRY(db.exec("DELETE FROM trust"));
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare("INSERT OR REPLACE INTO trust(keyid, predicate, "
                                               "source) VALUES (?1, ?2, ?3)"));
  for (const auto& [keyid, scope, source] : trust_rows(policy))
    PD_TRY(st.bind(1, keyid).bind(2, scope).bind(3, source).run());
  return {};
}

// Whether the trust table already holds exactly `policy` (so an update at
// the same commit has nothing to write).
Result<bool> trust_matches(Database& db, const ledger::TrustPolicy& policy) {
  using Row = std::tuple<std::string, std::string, std::string>;
  std::set<Row> want = trust_rows(policy), have;
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare("SELECT keyid, predicate, source FROM trust"));
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    have.insert({st.column_text(0), st.column_text(1), st.column_text(2)});
  }
  // Rows the ledger's key rotations derived (key_lifecycle.hpp) are not the policy's.
  PD_ASSIGN_OR_RETURN(auto derived, successor_trust_rows(db));
  for (const auto& row : derived) have.erase(row);
  return want == have;
}

Result<void> set_meta(Database& db, const std::string& key, const std::string& value) {
  PD_ASSIGN_OR_RETURN(Statement st,
                      db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)"));
  return st.bind(1, key).bind(2, value).run();
}

Result<bool> has_meta(Database& db, const std::string& key) {
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare("SELECT 1 FROM meta WHERE key = ?1"));
  st.bind(1, key);
  return st.step();
}

// Records the set of reference models, which Index::reference_models checks
// on every read (integrity.hpp).
Result<void> store_reference_digest(Database& db) {
  PD_ASSIGN_OR_RETURN(auto rows, read_reference_rows(db));
  return set_meta(db, "reference_rows", reference_digest(std::move(rows)));
}

Indexer::BlobReader git_reader(ledger::GitRepo& repo) {
  return
      [&repo](const std::string& blob) { return repo.read_blob(blob, ledger::k_max_event_bytes); };
}

// Page cache for a full rebuild: up to 512 MiB (allocated only as pages are used). A rebuild
// inserts into b-trees keyed by hashes (the aliases alone: ~385 MB at 300,000 events); pages that
// do not fit are spilled to the WAL mid-transaction and read back, again and again.
constexpr const char* k_rebuild_cache = "PRAGMA cache_size = -524288";
constexpr const char* k_normal_cache = "PRAGMA cache_size = -131072";

// The lookup indexes over the payloads of model events (schema/002, 005: expressions on
// json_extract), which no statement of the indexer reads: a full rebuild drops them and
// creates them again once every row is in (one sorted pass each instead of an insertion at a
// random place of six b-trees per model event), inside its transaction. The SQL is read back
// from sqlite_master, so they come back exactly as the migrations made them.
class DeferredIndexes {
public:
  static Result<DeferredIndexes> drop(Database& db) {
    DeferredIndexes out;
    PD_ASSIGN_OR_RETURN(Statement st, db.prepare("SELECT name, sql FROM sqlite_master WHERE type "
                                                 "= 'index' AND tbl_name = 'events' AND sql "
                                                 "LIKE '%json_extract(payload%' ORDER BY name"));
    std::vector<std::string> names;
    while (true) {
      PD_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      names.push_back(st.column_text(0));
      out.m_sql.push_back(st.column_text(1));
    }
    for (const auto& name : names) PD_TRY(db.exec("DROP INDEX \"" + name + "\""));
    return out;
  }
  Result<void> create(Database& db) const {
    for (const auto& sql : m_sql) PD_TRY(db.exec(sql));
    return {};
  }

private:
  std::vector<std::string> m_sql;
};

Result<UpdateStats> rebuild_in(Database& db, ledger::GitRepo& repo, const std::string& head) {
  PD_TRY(db.exec(k_rebuild_cache));
  struct RestoreCache {
    Database& db;
    ~RestoreCache() { (void)db.exec(k_normal_cache); }
  } restore{db};
  UpdateStats stats;
  stats.rebuilt = true;
  stats.commit = head;
  auto reader = git_reader(repo);
  Indexer indexer(db, reader);
  PD_TRY(indexer.clear());
  PD_ASSIGN_OR_RETURN(const auto deferred, DeferredIndexes::drop(db));
  PD_ASSIGN_OR_RETURN(auto entries, repo.list_tree(head));
  Collected files;
  for (const auto& e : entries) PD_TRY(collect(indexer, e.path, e.mode, e.oid, files));
  stats.files = entries.size();
  PD_TRY(apply_collected(db, indexer, files, reader, stats));
  PD_TRY(deferred.create(db));
  return stats;
}

}  // namespace

Result<Index> Index::open(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  PD_ASSIGN_OR_RETURN(Database db, Database::open(path.string()));
  // A page cache of up to 128 MiB (SQLite's default is 2 MiB): a rebuild inserts into several
  // b-trees keyed by hashes, i.e. at random pages, and a small cache turns that into I/O.
  // Switching to WAL takes an exclusive lock, and SQLite can report SQLITE_BUSY for it
  // without calling the busy handler (several processes opening a new index at once,
  // IndexCreateRace): retry for as long as the busy timeout would have waited.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto set = db.exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
        "PRAGMA cache_size = -131072;");  // k_normal_cache
    if (set) break;
    if (set.error().code() != ErrorCode::k_conflict || std::chrono::steady_clock::now() > give_up)
      return std::unexpected(set.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Keep the -wal and -shm files when the last connection closes, so that each
  // command does not create and delete them again (file-system metadata
  // writes); journal_size_limit = 0 empties the WAL then, so that a stale one
  // can never be replayed into an index.sqlite deleted and rebuilt meanwhile.
  PD_TRY(db.exec("PRAGMA journal_size_limit = 0;"));
  int persist = 1;
  sqlite3_file_control(db.handle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  PD_TRY(migrate(db));
  return Index(std::move(db));
}

Result<Index> Index::open_memory() {
  PD_ASSIGN_OR_RETURN(Database db, Database::open(":memory:"));
  PD_TRY(migrate(db));
  return Index(std::move(db));
}

Result<UpdateStats> Index::rebuild(ledger::GitRepo& repo, const ledger::TrustPolicy& policy) {
  PD_ASSIGN_OR_RETURN(auto head, repo.head());
  if (!head) return not_found(repo.workdir().string() + ": ledger has no commits");
  PD_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(m_db));
  PD_ASSIGN_OR_RETURN(UpdateStats stats, rebuild_in(m_db, repo, *head));
  PD_TRY(store_trust(m_db, policy));
  PD_TRY(apply_key_lifecycle(m_db, &repo));
  PD_TRY(set_meta(m_db, "last_commit", *head));
  PD_TRY(store_reference_digest(m_db));
  fault_point("index: rows written, transaction open");
  PD_TRY(tx.commit());
  fault_point("index: committed");
  return stats;
}

Result<UpdateStats> Index::update(ledger::GitRepo& repo, const ledger::TrustPolicy& policy) {
  PD_ASSIGN_OR_RETURN(auto head, repo.head());
  if (!head) return not_found(repo.workdir().string() + ": ledger has no commits");
  PD_ASSIGN_OR_RETURN(auto last, last_commit());
  if (last && *last == *head) {
    // Up to date and the same policy: no write transaction (no fsync), so
    // read-only commands such as `check HASH` stay fast.
    PD_ASSIGN_OR_RETURN(bool same_trust, trust_matches(m_db, policy));
    // An index written before reference digests existed gets one now.
    PD_ASSIGN_OR_RETURN(bool has_digest, has_meta(m_db, "reference_rows"));
    if (same_trust && has_digest) return UpdateStats{false, *head, 0, 0};
  }
  PD_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(m_db));
  UpdateStats stats;
  stats.commit = *head;
  bool incremental = false;
  std::vector<ledger::GitRepo::Change> changes;
  if (last) {
    PD_ASSIGN_OR_RETURN(bool ancestor, repo.is_ancestor(*last, *head));
    if (ancestor) {
      PD_ASSIGN_OR_RETURN(changes, repo.diff(*last, *head));
      incremental = std::all_of(changes.begin(), changes.end(), [](const auto& c) {
        return c.kind == ledger::GitRepo::ChangeKind::k_added;
      });
    }
  }
  if (incremental) {
    auto reader = git_reader(repo);
    Indexer indexer(m_db, reader);
    PD_TRY(indexer.load_keys());
    Collected files;
    for (const auto& c : changes) {
      PD_TRY(collect(indexer, c.entry.path, c.entry.mode, c.entry.oid, files));
    }
    stats.files = changes.size();
    PD_TRY(apply_collected(m_db, indexer, files, reader, stats));
  } else {
    PD_ASSIGN_OR_RETURN(stats, rebuild_in(m_db, repo, *head));
  }
  PD_TRY(store_trust(m_db, policy));
  PD_TRY(apply_key_lifecycle(m_db, &repo));
  PD_TRY(set_meta(m_db, "last_commit", *head));
  PD_TRY(store_reference_digest(m_db));
  fault_point("index: rows written, transaction open");
  PD_TRY(tx.commit());
  fault_point("index: committed");
  return stats;
}

Result<void> Index::remember_signatures(
    const std::vector<std::pair<std::string, std::string>>& event_and_signer) {
  if (event_and_signer.empty()) return {};
  PD_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(m_db));
  PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(k_remember_signature));
  for (const auto& [event, signer] : event_and_signer)
    PD_TRY(remember_signature(st, event, signer));
  return tx.commit();
}

Result<UpdateStats> Index::index_directory(const std::filesystem::path& dir,
                                           const ledger::TrustPolicy& policy) {
  PD_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(m_db));
  UpdateStats stats;
  Indexer::BlobReader reader = [dir](const std::string& rel) {
    return read_file(dir / rel, ledger::k_max_event_bytes);
  };
  Indexer indexer(m_db, reader);
  PD_TRY(indexer.clear());
  Collected files;
  std::error_code ec;
  std::vector<std::pair<std::string, unsigned>> entries;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return io_error(dir.string() + ": cannot list: " + ec.message());
    // Lexically: std::filesystem::relative would follow a symlink to its target.
    std::string rel = it->path().lexically_relative(dir).generic_string();
    if (rel == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    auto status = it->symlink_status(ec);
    if (std::filesystem::is_directory(status)) continue;
    unsigned mode = 0;
    if (std::filesystem::is_symlink(status))
      mode = 0120000;
    else if (std::filesystem::is_regular_file(status)) {
      auto perms = status.permissions();
      bool exec = (perms & std::filesystem::perms::owner_exec) != std::filesystem::perms::none;
      mode = exec ? 0100755 : 0100644;
    }
    entries.emplace_back(rel, mode);
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& [rel, mode] : entries) PD_TRY(collect(indexer, rel, mode, rel, files));
  stats.files = entries.size();
  PD_TRY(apply_collected(m_db, indexer, files, reader, stats));
  PD_TRY(store_trust(m_db, policy));
  PD_TRY(apply_key_lifecycle(m_db, nullptr));
  PD_TRY(store_reference_digest(m_db));
  fault_point("index: rows written, transaction open");
  PD_TRY(tx.commit());
  fault_point("index: committed");
  return stats;
}

}  // namespace pedigree::index
