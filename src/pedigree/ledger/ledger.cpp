#include "pedigree/ledger/ledger.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/crypto/sshsig.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/recovery.hpp"
#include "pedigree/ledger/verify.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::ledger {
namespace {

constexpr int k_lock_timeout_ms = 60'000;

std::string author_name(const crypto::PrivateKey& key, const crypto::KeyIdentity& id) {
  return id.name.empty() ? "pedigree key " + key.keyid().substr(0, 16) : id.name;
}
std::string author_email(const crypto::PrivateKey& key, const crypto::KeyIdentity& id) {
  return id.email.empty() ? key.keyid().substr(0, 16) + "@keys.pedigree.invalid" : id.email;
}

}  // namespace

CommitSigner ssh_commit_signer(const crypto::PrivateKey& key) {
  return [&key](std::string_view content) {
    return crypto::sshsig_sign(key, content, crypto::k_sshsig_git_namespace);
  };
}

Result<std::filesystem::path> default_ledger_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "pedigree" / "ledger";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".local" / "share" / "pedigree" / "ledger";
  }
  return invalid_argument("neither XDG_DATA_HOME nor HOME is set");
}

std::filesystem::path bundled_ledger_dir() {
  if (const char* env = std::getenv("PEDIGREE_BUNDLED_LEDGER"); env && *env) return env;
  return std::filesystem::path(PEDIGREE_SOURCE_DIR) / "ledger";
}

Result<Ledger> Ledger::open(const std::filesystem::path& dir) {
  PD_ASSIGN_OR_RETURN(GitRepo repo, GitRepo::open(dir));
  auto text = read_file(dir / "LEDGER.json", k_max_ledger_json);
  if (!text) return not_found(dir.string() + ": not a pedigree ledger (no LEDGER.json)");
  PD_ASSIGN_OR_RETURN(LedgerInfo info, parse_ledger_json(*text, (dir / "LEDGER.json").string()));
  std::error_code ec;
  if (std::filesystem::exists(attest_journal_path(dir), ec)) {
    // An attest was killed: finish or undo its work now, unless a live writer
    // holds the lock (then the journal is its own, in progress). A sync
    // journal is left to the next sync, which reports that it completed it.
    if (auto lock = FileLock::acquire(dir / ".git" / "pedigree.lock", 0)) {
      PD_TRY(recover(repo));
    }
  }
  return Ledger(dir, std::move(repo), std::move(info));
}

namespace {

// Removes a staging directory unless it was published.
struct StagingGuard {
  std::filesystem::path dir;
  bool published = false;
  ~StagingGuard() {
    std::error_code ec;
    if (!published) std::filesystem::remove_all(dir, ec);
  }
};

// Builds a ledger with `files` in one commit inside a staging directory and
// renames it to `dir` (recovery.hpp): a kill leaves `dir` untouched.
Result<void> create_ledger_dir(const std::filesystem::path& dir,
                               const std::vector<std::pair<std::string, std::string>>& files,
                               const std::string& message, const crypto::PrivateKey* signer) {
  PD_ASSIGN_OR_RETURN(auto staging, make_staging_dir(dir));
  StagingGuard guard{staging};
  {
    PD_ASSIGN_OR_RETURN(GitRepo repo, GitRepo::init(staging));
    std::optional<CommitSigner> sign;
    if (signer) sign = ssh_commit_signer(*signer);
    PD_TRY(repo.commit_files(files, "pedigree", "pedigree@pedigree.invalid", message,
                             sign ? &*sign : nullptr));
  }
  guard.published = true;
  return publish_staging_dir(staging, dir);
}

}  // namespace

Result<Ledger> Ledger::init(const std::filesystem::path& dir, const std::string& name,
                            const crypto::PrivateKey* signer) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    return conflict(dir.string() + ": exists and is not empty");
  }
  LedgerInfo info;
  info.name = name;
  PD_TRY(create_ledger_dir(dir, {{"LEDGER.json", ledger_json_text(info)}},
                           "init ledger '" + name + "'", signer));
  return open(dir);
}

Result<Ledger> Ledger::open_or_create(const std::filesystem::path& dir,
                                      const std::filesystem::path& bundled) {
  std::error_code ec;
  if (std::filesystem::exists(dir / "LEDGER.json", ec)) return open(dir);
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    return conflict(dir.string() + ": exists but holds no LEDGER.json");
  }
  std::vector<std::pair<std::string, std::string>> files;
  auto add = [&](const std::filesystem::path& full) -> Result<void> {
    auto rel = std::filesystem::relative(full, bundled).generic_string();
    LayoutEntry entry = classify_path(rel);
    if (entry.kind == EntryKind::k_stray) return {};
    PD_ASSIGN_OR_RETURN(std::string bytes, read_file(full, k_max_event_bytes));
    files.emplace_back(rel, std::move(bytes));
    return {};
  };
  if (std::filesystem::exists(bundled / "LEDGER.json", ec)) {
    for (auto it = std::filesystem::recursive_directory_iterator(bundled, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_regular_file() && !it->is_symlink()) PD_TRY(add(it->path()));
    }
  }
  if (files.empty()) return init(dir, "local");
  PD_TRY(
      create_ledger_dir(dir, files, "ledger created from the bundled reference ledger", nullptr));
  return open(dir);
}

Result<Ledger::AddResult> Ledger::add_event(const crypto::PrivateKey& key,
                                            const crypto::KeyIdentity& identity,
                                            const Statement& statement,
                                            CommitSignature commit_signature) {
  PD_ASSIGN_OR_RETURN(std::string bytes, sign_statement(statement, key));
  AddResult result;
  result.event_id = crypto::sha256_hex(bytes);
  result.path = event_path(statement.subject.sha256, result.event_id);
  std::error_code ec;
  std::filesystem::create_directories(m_dir / ".git" / "pedigree", ec);
  PD_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path(), k_lock_timeout_ms));
  PD_TRY(recover(m_repo));
  // What HEAD holds decides, never the working tree: a file a killed run left
  // there uncommitted must not stop this run from committing it.
  PD_ASSIGN_OR_RETURN(auto head, m_repo.head());
  std::vector<std::pair<std::string, std::string>> files;
  std::string kpath = key_path(key.keyid());
  PD_ASSIGN_OR_RETURN(bool key_committed, commit_has_file(m_repo, head, kpath));
  if (!key_committed) {
    PD_ASSIGN_OR_RETURN(std::string key_file, make_key_file(key, identity));
    files.emplace_back(kpath, std::move(key_file));
  }
  PD_ASSIGN_OR_RETURN(bool event_committed, commit_has_file(m_repo, head, result.path));
  if (event_committed && files.empty()) {
    result.already_present = true;
    return result;
  }
  if (!event_committed) files.emplace_back(result.path, std::move(bytes));
  std::string message = "attest " + std::string(predicate_name(statement.kind)) + " " +
                        statement.subject.sha256.substr(0, 12) + "\n\nevent " + result.event_id +
                        "\nkey " + key.keyid() + "\n";
  std::optional<CommitSigner> sign;
  if (commit_signature == CommitSignature::k_event_key) sign = ssh_commit_signer(key);
  std::vector<std::string> paths;
  for (const auto& f : files) {
    paths.push_back(f.first);
    remove_temporaries_of(m_dir / f.first);  // left by a run killed before any journal
  }
  PD_TRY(write_attest_journal(m_dir, head, paths));
  PD_ASSIGN_OR_RETURN(result.commit, m_repo.commit_files(files, author_name(key, identity),
                                                         author_email(key, identity), message,
                                                         sign ? &*sign : nullptr));
  remove_attest_journal(m_dir);
  return result;
}

Result<std::string> Ledger::add_key(const crypto::PrivateKey& key,
                                    const crypto::KeyIdentity& identity) {
  std::error_code ec;
  std::filesystem::create_directories(m_dir / ".git" / "pedigree", ec);
  PD_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path(), k_lock_timeout_ms));
  std::string kpath = key_path(key.keyid());
  if (std::filesystem::exists(m_dir / kpath, ec)) return std::string();
  PD_ASSIGN_OR_RETURN(std::string key_file, make_key_file(key, identity));
  std::vector<std::pair<std::string, std::string>> files{{kpath, std::move(key_file)}};
  const std::string message = "key " + key.keyid().substr(0, 16) + "\n\nkey " + key.keyid() + "\n";
  CommitSigner sign = ssh_commit_signer(key);
  return m_repo.commit_files(files, author_name(key, identity), author_email(key, identity),
                             message, &sign);
}

Result<KeyRing> Ledger::load_keys() const {
  KeyRing ring;
  std::error_code ec;
  auto dir = m_dir / "keys";
  if (!std::filesystem::exists(dir, ec)) return ring;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.is_symlink()) continue;
    auto bytes = read_file(entry.path(), k_max_key_file_bytes);
    if (!bytes) continue;
    auto record = verify_key_file("keys/" + entry.path().filename().string(), *bytes);
    if (record) ring.add(std::move(*record));
  }
  return ring;
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& path, int timeout_ms) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path.string() + ": cannot open lock file");
  FileLock lock(fd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int delay_ms = 2;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return conflict(path.string() + ": another pedigree process holds the ledger lock");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    delay_ms = std::min(delay_ms * 2, 50);
  }
  return lock;
}

FileLock::FileLock(FileLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

FileLock::~FileLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing releases the flock
}

}  // namespace pedigree::ledger
