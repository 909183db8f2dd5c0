#include "pedigree/ledger/git_head.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pedigree::ledger {
namespace {

constexpr std::size_t k_oid_hex = 40;                       // SHA-1 repositories only
constexpr std::size_t k_max_head_bytes = 4096;              // HEAD and loose refs
constexpr std::size_t k_max_packed_refs_bytes = 16u << 20;  // beyond: let libgit2 read it
constexpr std::size_t k_max_refname = 255;

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_oid(std::string_view s) {
  return s.size() == k_oid_hex && is_lower_hex(s);
}

// The whole content of a regular file (not a symlink) of at most `max_bytes`,
// or nullopt when it is missing, not regular, larger, or unreadable.
std::optional<std::string> read_small_file(const std::filesystem::path& path,
                                           std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
      static_cast<std::uint64_t>(st.st_size) <= max_bytes) {
    // Read one byte more than stat said, to notice a file that grew meanwhile.
    std::string buf(static_cast<std::size_t>(st.st_size) + 1, '\0');
    std::size_t got = 0;
    while (got < buf.size()) {
      const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
      if (n < 0) break;
      if (n == 0) {
        buf.resize(got);
        out = std::move(buf);
        break;
      }
      got += static_cast<std::size_t>(n);
    }
  }
  ::close(fd);
  if (out && out->size() != static_cast<std::size_t>(st.st_size)) return std::nullopt;
  return out;
}

bool is_directory_no_follow(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists_no_follow(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

bool is_plain_branch_name(std::string_view refname) {
  constexpr std::string_view prefix = "refs/heads/";
  if (refname.size() > k_max_refname || !refname.starts_with(prefix)) return false;
  std::string_view rest = refname.substr(prefix.size());
  if (rest.empty()) return false;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || part.front() == '.' || part.ends_with(".lock")) return false;
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '+' || c == '-';
      if (!ok) return false;
    }
    if (part.find("..") != std::string_view::npos) return false;
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

std::optional<HeadFile> parse_head_file(std::string_view bytes) {
  if (!bytes.ends_with('\n')) return std::nullopt;
  bytes.remove_suffix(1);
  HeadFile head;
  if (is_oid(bytes)) {
    head.commit = std::string(bytes);
    return head;
  }
  constexpr std::string_view ref = "ref: ";
  if (!bytes.starts_with(ref)) return std::nullopt;
  bytes.remove_prefix(ref.size());
  if (!is_plain_branch_name(bytes)) return std::nullopt;
  head.branch = std::string(bytes);
  return head;
}

std::optional<std::string> parse_loose_ref(std::string_view bytes) {
  if (bytes.size() != k_oid_hex + 1 || bytes.back() != '\n') return std::nullopt;
  bytes.remove_suffix(1);
  if (!is_oid(bytes)) return std::nullopt;
  return std::string(bytes);
}

std::optional<std::string> find_packed_ref(std::string_view bytes, std::string_view refname) {
  std::optional<std::string> found;
  bool after_ref = false;  // a peeled line ("^<id>") may follow a ref line only
  while (!bytes.empty()) {
    const auto eol = bytes.find('\n');
    const std::string_view line = bytes.substr(0, eol);
    bytes.remove_prefix(eol == std::string_view::npos ? bytes.size() : eol + 1);
    if (line.starts_with('#')) {  // the "# pack-refs with: ..." header
      after_ref = false;
      continue;
    }
    if (line.starts_with('^')) {
      if (!after_ref || !is_oid(line.substr(1))) return std::nullopt;
      after_ref = false;
      continue;
    }
    if (line.size() <= k_oid_hex + 1 || line[k_oid_hex] != ' ' ||
        !is_oid(line.substr(0, k_oid_hex))) {
      return std::nullopt;
    }
    const std::string_view name = line.substr(k_oid_hex + 1);
    if (name == refname) {
      if (found) return std::nullopt;  // listed twice: not ours to decide
      found = std::string(line.substr(0, k_oid_hex));
    }
    after_ref = true;
  }
  return found;
}

std::optional<std::string> read_head_commit(const std::filesystem::path& workdir) {
  const auto git_dir = workdir / ".git";
  if (!is_directory_no_follow(git_dir)) return std::nullopt;  // a .git file, or no repository
  // Layouts libgit2 1.5 handles (or refuses) itself: reftable, linked worktrees.
  if (exists_no_follow(git_dir / "reftable") || exists_no_follow(git_dir / "commondir")) {
    return std::nullopt;
  }
  const auto head_bytes = read_small_file(git_dir / "HEAD", k_max_head_bytes);
  if (!head_bytes) return std::nullopt;
  const auto head = parse_head_file(*head_bytes);
  if (!head) return std::nullopt;
  if (head->commit) return head->commit;
  // A loose ref wins over packed-refs (git writes packed-refs before it
  // deletes loose refs, so a reader never sees neither).
  if (exists_no_follow(git_dir / head->branch)) {
    const auto loose = read_small_file(git_dir / head->branch, k_max_head_bytes);
    return loose ? parse_loose_ref(*loose) : std::nullopt;
  }
  const auto packed = read_small_file(git_dir / "packed-refs", k_max_packed_refs_bytes);
  if (!packed) return std::nullopt;  // an unborn branch, or unreadable: libgit2 decides
  return find_packed_ref(*packed, head->branch);
}

}  // namespace pedigree::ledger
