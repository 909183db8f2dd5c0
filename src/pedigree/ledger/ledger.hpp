// A ledger on disk: a git repository holding LEDGER.json, keys/ and events/
// (layout.hpp). Opening, creating (empty or from the bundled ledger on first
// use) and appending signed events, one commit per event.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/crypto/keystore.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/git.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/ledger_json.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

// A CommitSigner that signs commits with `key` as git does with gpg.format=ssh:
// an armored SSHSIG in namespace "git" (crypto/sshsig.hpp), which
// `git verify-commit` checks against an allowed_signers file. `key` must
// outlive the signer.
CommitSigner ssh_commit_signer(const crypto::PrivateKey& key);

// Whether add_event signs its commit (the event itself is always signed).
enum class CommitSignature { k_event_key, k_none };

// $XDG_DATA_HOME/pedigree/ledger, else ~/.local/share/pedigree/ledger.
Result<std::filesystem::path> default_ledger_dir();
// The ledger shipped with pedigree: $PEDIGREE_BUNDLED_LEDGER, else <source>/ledger.
std::filesystem::path bundled_ledger_dir();

class Ledger {
public:
  // Opens an existing ledger: a git working tree with a valid LEDGER.json.
  static Result<Ledger> open(const std::filesystem::path& dir);
  // Creates a new ledger in `dir` (absent or empty): LEDGER.json, first commit,
  // signed by `signer` when given. Conflict if `dir` already holds files.
  static Result<Ledger> init(const std::filesystem::path& dir, const std::string& name,
                             const crypto::PrivateKey* signer = nullptr);
  // Opens `dir`, or when it does not exist yet creates it as a copy of the
  // files of `bundled` (LEDGER.json, README.md, keys/, events/; an empty
  // bundled ledger yields a fresh one) committed in one commit.
  static Result<Ledger> open_or_create(const std::filesystem::path& dir,
                                       const std::filesystem::path& bundled);

  const std::filesystem::path& dir() const { return m_dir; }
  const LedgerInfo& info() const { return m_info; }
  GitRepo& repo() { return m_repo; }
  // Where this ledger's disposable index lives (inside .git, never committed).
  std::filesystem::path index_path() const { return m_dir / ".git" / "pedigree" / "index.sqlite"; }
  // The lock every writer of this ledger holds (add_event, sync).
  std::filesystem::path lock_path() const { return m_dir / ".git" / "pedigree.lock"; }

  struct AddResult {
    std::string event_id;
    std::string path;    // ledger-relative
    std::string commit;  // empty when the identical event was already present
    bool already_present = false;
  };
  // Signs `statement` with `key`, writes the event (and keys/<keyid>.json when
  // missing) and commits it with the key's identity as author; the commit
  // carries an SSH signature by `key` unless `commit_signature` is k_none. Holds an
  // exclusive lock on .git/pedigree.lock meanwhile (waiting up to 60 s), so
  // concurrent writers never lose an event.
  Result<AddResult> add_event(const crypto::PrivateKey& key, const crypto::KeyIdentity& identity,
                              const Statement& statement,
                              CommitSignature commit_signature = CommitSignature::k_event_key);

  // Commits keys/<keyid>.json for `key` when the ledger lacks it (a key that
  // must be known before it signs anything: the successor a key event names).
  // Same lock as add_event. Returns the commit, "" when the file was there.
  Result<std::string> add_key(const crypto::PrivateKey& key, const crypto::KeyIdentity& identity);

  // Keys of the working tree's keys/ that verify (others are skipped; `verify`
  // reports them).
  Result<KeyRing> load_keys() const;

private:
  Ledger(std::filesystem::path dir, GitRepo repo, LedgerInfo info)
      : m_dir(std::move(dir)), m_repo(std::move(repo)), m_info(std::move(info)) {}
  std::filesystem::path m_dir;
  GitRepo m_repo;
  LedgerInfo m_info;
};

// Holds an exclusive flock(2) on `path` (created if needed) until destroyed.
class FileLock {
public:
  // Retries every few milliseconds for up to `timeout_ms`; Conflict on timeout.
  static Result<FileLock> acquire(const std::filesystem::path& path, int timeout_ms);
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

private:
  explicit FileLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace pedigree::ledger
