#include "pedigree/ledger/git_index_file.hpp"
#include "pedigree/util/fault.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_set>

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pedigree/util/file.hpp"

namespace pedigree::ledger {
namespace {

constexpr std::size_t k_header_size = 12;  // "DIRC", version, entry count
constexpr std::size_t k_hash_size = 20;    // SHA-1 of everything before it
constexpr std::size_t k_entry_fixed = 62;  // stat data, mode, id, flags
constexpr std::uint16_t k_flag_extended = 0x4000;
constexpr std::uint16_t k_flag_stage = 0x3000;
constexpr std::uint16_t k_flag_name_length = 0x0fff;
constexpr std::uint32_t k_mode_regular = 0100644;
constexpr std::uint64_t k_max_index_bytes = 1ull << 30;

std::uint32_t be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         u[3];
}

void put_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

struct OldEntry {
  std::size_t offset;
  std::string_view path;
};

// What the splice needs from the old index; nullopt when it is in a form left to libgit2.
struct Parsed {
  std::uint32_t version = 0;
  std::vector<OldEntry> entries;  // in file order, which is path order
  std::size_t entries_end = 0;
  std::optional<std::string_view> tree_cache;  // the TREE extension's data
};

std::optional<Parsed> parse(std::string_view file) {
  Parsed out;
  if (file.size() < k_header_size + k_hash_size || file.substr(0, 4) != "DIRC") return {};
  out.version = be32(file.data() + 4);
  if (out.version != 2 && out.version != 3) return {};
  const std::uint32_t count = be32(file.data() + 8);
  const std::size_t end = file.size() - k_hash_size;
  std::size_t pos = k_header_size;
  out.entries.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    if (pos + k_entry_fixed > end) return {};
    const auto flags = static_cast<std::uint16_t>(be32(file.data() + pos + 58) & 0xffff);
    if (flags & k_flag_stage) return {};
    std::size_t fixed = k_entry_fixed;
    if (flags & k_flag_extended) {
      if (out.version < 3) return {};
      fixed += 2;
    }
    std::size_t name_end = file.find('\0', pos + fixed);
    if (name_end == std::string_view::npos || name_end >= end) return {};
    std::string_view path = file.substr(pos + fixed, name_end - pos - fixed);
    if ((flags & k_flag_name_length) != k_flag_name_length &&
        path.size() != (flags & k_flag_name_length)) {
      return {};
    }
    if (!out.entries.empty() && !(out.entries.back().path < path)) return {};  // unsorted
    out.entries.push_back({pos, path});
    pos += (fixed + path.size() + 8) & ~std::size_t{7};
    if (pos > end) return {};
  }
  out.entries_end = pos;
  while (pos + 8 <= end) {
    std::string_view signature = file.substr(pos, 4);
    const std::size_t size = be32(file.data() + pos + 4);
    if (size > end - pos - 8) return {};
    if (signature[0] < 'A' || signature[0] > 'Z') return {};  // mandatory: not understood here
    if (signature == "TREE") out.tree_cache = file.substr(pos + 8, size);
    pos += 8 + size;
  }
  if (pos != end) return {};
  return out;
}

// The TREE extension with every node in `touched` (directories holding an
// added path, "" for the root) made invalid: entry count -1 and no tree id,
// its subtrees kept. Nodes are in pre-order: "<name>\0<entries> <subtrees>\n"
// then the tree id when <entries> is not negative. nullopt when malformed.
std::optional<std::string> invalidate(std::string_view data,
                                      const std::unordered_set<std::string>& touched) {
  struct Open {
    std::string path;
    long remaining;  // subtrees still to read
  };
  std::vector<Open> stack;
  std::string out;
  out.reserve(data.size());
  std::size_t pos = 0;
  bool root_seen = false;
  while (pos < data.size()) {
    while (!stack.empty() && stack.back().remaining == 0) stack.pop_back();
    if (stack.empty() && root_seen) return {};  // a second root
    std::size_t nul = data.find('\0', pos);
    std::size_t newline = nul == std::string_view::npos ? nul : data.find('\n', nul);
    if (newline == std::string_view::npos) return {};
    std::string_view name = data.substr(pos, nul - pos);
    std::string_view counts = data.substr(nul + 1, newline - nul - 1);
    pos = newline + 1;
    long entries = 0, subtrees = 0;
    if (std::sscanf(std::string(counts).c_str(), "%ld %ld", &entries, &subtrees) != 2 ||
        subtrees < 0) {
      return {};
    }
    std::string path;
    if (!stack.empty()) {
      path = stack.back().path.empty() ? std::string(name)
                                       : stack.back().path + "/" + std::string(name);
      --stack.back().remaining;
    }
    root_seen = true;
    out.append(name);
    out.push_back('\0');
    if (entries >= 0) {
      if (pos + k_hash_size > data.size()) return {};
      if (!touched.contains(path)) {
        out.append(counts);
        out.push_back('\n');
        out.append(data.substr(pos, k_hash_size));
      } else {
        out += "-1 " + std::to_string(subtrees) + "\n";
      }
      pos += k_hash_size;
    } else {
      out.append(counts);
      out.push_back('\n');
    }
    stack.push_back({std::move(path), subtrees});
  }
  return out;
}

void append_entry(std::string& out, const GitIndexAddition& a) {
  for (std::uint32_t v : {a.ctime_s, a.ctime_ns, a.mtime_s, a.mtime_ns, a.dev, a.ino,
                          k_mode_regular, a.uid, a.gid, a.size}) {
    put_be32(out, v);
  }
  out.append(reinterpret_cast<const char*>(a.id.data()), a.id.size());
  const auto flags = static_cast<std::uint16_t>(std::min<std::size_t>(a.path.size(), 0xfff));
  out.push_back(static_cast<char>(flags >> 8));
  out.push_back(static_cast<char>(flags & 0xff));
  out.append(a.path);
  const std::size_t size = (k_entry_fixed + a.path.size() + 8) & ~std::size_t{7};
  out.append(size - k_entry_fixed - a.path.size(), '\0');
}

bool has_entry(const std::vector<OldEntry>& entries, std::string_view path) {
  auto it = std::lower_bound(entries.begin(), entries.end(), path,
                             [](const OldEntry& e, std::string_view p) { return e.path < p; });
  return it != entries.end() && it->path == path;
}

// The directories holding each added path ("" for the root); empty when an
// added path is present already or clashes with a file or directory (the
// additions are sorted).
std::optional<std::unordered_set<std::string>> touched_dirs(
    const std::vector<OldEntry>& entries, const std::vector<GitIndexAddition>& additions) {
  std::unordered_set<std::string> dirs;
  for (std::size_t i = 0; i < additions.size(); ++i) {
    const std::string& path = additions[i].path;
    if (path.empty() || has_entry(entries, path)) return {};
    if (i + 1 < additions.size() && additions[i + 1].path.starts_with(path) &&
        (additions[i + 1].path == path || additions[i + 1].path[path.size()] == '/')) {
      return {};
    }
    auto below =
        std::lower_bound(entries.begin(), entries.end(), path + "/",
                         [](const OldEntry& e, const std::string& p) { return e.path < p; });
    if (below != entries.end() && below->path.starts_with(path + "/")) return {};
    dirs.insert("");
    for (std::size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string dir = path.substr(0, slash);
      if (has_entry(entries, dir)) return {};
      dirs.insert(std::move(dir));
    }
  }
  return dirs;
}

Result<void> write_locked(const std::filesystem::path& git_dir, const std::string& bytes) {
  const auto lock = git_dir / "index.lock";
  int fd = ::open(lock.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return io_error(lock.string() + ": cannot lock the git index: " + std::strerror(errno));
  }
  int err = write_fully(fd, bytes.data(), bytes.size());
  if (::close(fd) != 0 && !err) err = errno;
  if (!err) fault_point("git index: index.lock written");
  if (!err && ::rename(lock.c_str(), (git_dir / "index").c_str()) != 0) err = errno;
  if (err) {
    ::unlink(lock.c_str());
    return io_error((git_dir / "index").string() + ": cannot write: " + std::strerror(err));
  }
  return {};
}

}  // namespace

Result<void> stat_for_index(const std::filesystem::path& full_path, GitIndexAddition& a) {
  struct stat st;
  if (::lstat(full_path.c_str(), &st) != 0) {
    return io_error(full_path.string() + ": cannot stat: " + std::strerror(errno));
  }
  // The index keeps the low 32 bits of each field, as git does.
  a.ctime_s = static_cast<std::uint32_t>(st.st_ctim.tv_sec);
  a.ctime_ns = static_cast<std::uint32_t>(st.st_ctim.tv_nsec);
  a.mtime_s = static_cast<std::uint32_t>(st.st_mtim.tv_sec);
  a.mtime_ns = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
  a.dev = static_cast<std::uint32_t>(st.st_dev);
  a.ino = static_cast<std::uint32_t>(st.st_ino);
  a.uid = st.st_uid;
  a.gid = st.st_gid;
  a.size = static_cast<std::uint32_t>(st.st_size);
  return {};
}

Result<bool> add_to_git_index(const std::filesystem::path& git_dir,
                              std::vector<GitIndexAddition> additions) {
  std::error_code ec;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  std::string file;
  if (std::filesystem::exists(git_dir / "index", ec)) {
    PD_ASSIGN_OR_RETURN(file, read_file(git_dir / "index", k_max_index_bytes));
  } else {
    // No index yet (a new clone): as git reads it, an empty version-2 index.
    file.append("DIRC", 4);
    put_be32(file, 2);
    put_be32(file, 0);
    if (EVP_Digest(file.data(), file.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1) {
      return internal_error("SHA-1 failed");
    }
    file.append(reinterpret_cast<const char*>(digest), k_hash_size);
  }
  if (file.size() < k_hash_size) return false;
  const std::size_t body = file.size() - k_hash_size;
  if (EVP_Digest(file.data(), body, digest, &digest_size, EVP_sha1(), nullptr) != 1 ||
      digest_size != k_hash_size || std::memcmp(digest, file.data() + body, k_hash_size) != 0) {
    return false;  // libgit2 reports the damage
  }
  std::optional<Parsed> old = parse(file);
  if (!old) return false;
  std::sort(additions.begin(), additions.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  auto touched = touched_dirs(old->entries, additions);
  if (!touched) return false;
  std::optional<std::string> tree_cache;
  if (old->tree_cache) {
    tree_cache = invalidate(*old->tree_cache, *touched);
    if (!tree_cache) return false;
  }

  std::string out;
  out.reserve(file.size() + additions.size() * 160);
  out.append("DIRC", 4);
  put_be32(out, old->version);
  put_be32(out, static_cast<std::uint32_t>(old->entries.size() + additions.size()));
  // Runs of old entries are copied whole between the sorted insertion points.
  std::size_t copied_to = k_header_size;
  for (const auto& a : additions) {
    auto at = std::lower_bound(
        old->entries.begin(), old->entries.end(), a.path,
        [](const OldEntry& e, const std::string& p) { return e.path < std::string_view(p); });
    std::size_t offset = at == old->entries.end() ? old->entries_end : at->offset;
    out.append(file, copied_to, offset - copied_to);
    copied_to = offset;
    append_entry(out, a);
  }
  out.append(file, copied_to, old->entries_end - copied_to);
  if (tree_cache) {
    out.append("TREE", 4);
    put_be32(out, static_cast<std::uint32_t>(tree_cache->size()));
    out.append(*tree_cache);
  }
  if (EVP_Digest(out.data(), out.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1) {
    return internal_error("SHA-1 failed");
  }
  out.append(reinterpret_cast<const char*>(digest), k_hash_size);
  PD_TRY(write_locked(git_dir, out));
  return true;
}

}  // namespace pedigree::ledger
