#include "pedigree/sync/tree_check.hpp"
#include "pedigree/ledger/git_handles.hpp"
#include "pedigree/util/text.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include <git2.h>

namespace pedigree::sync {
namespace {

// The modes git itself writes; anything else (100664, 0100644, 040000...)
// is a hand-made tree.
// How offenses name the root directory of a commit.
constexpr const char* k_root = "(root directory)";

constexpr std::array<std::string_view, 5> k_modes = {"100644", "100755", "120000", "40000",
                                                     "160000"};

// `bytes` with anything but printable ASCII escaped as \xNN, for messages.
std::string printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string hex_of(std::string_view raw_id) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw_id) {
    out += k_digits[c >> 4];
    out += k_digits[c & 15];
  }
  return out;
}

// Git's order of tree entries: bytes, a subtree's name read as if it ended in '/'.
int git_order(std::string_view a, bool a_tree, std::string_view b, bool b_tree) {
  std::size_t n = std::min(a.size(), b.size());
  if (int c = std::memcmp(a.data(), b.data(), n); c != 0) return c;
  unsigned char ca = a.size() > n ? static_cast<unsigned char>(a[n]) : (a_tree ? '/' : 0);
  unsigned char cb = b.size() > n ? static_cast<unsigned char>(b[n]) : (b_tree ? '/' : 0);
  return static_cast<int>(ca) - static_cast<int>(cb);
}

// A name that git (and a checkout on a case-insensitive or Windows file
// system) would take for ".git".
bool names_git_dir(std::string_view name) {
  std::string lower = to_lower_ascii(name);
  while (!lower.empty() && (lower.back() == '.' || lower.back() == ' ')) lower.pop_back();
  return lower == ".git" || lower == "git~1";
}

std::optional<std::string> bad_name(std::string_view name) {
  if (name.empty()) return "an empty name";
  if (name == "." || name == "..") return "the name '" + std::string(name) + "'";
  if (name.find('/') != std::string_view::npos) return "a name containing '/'";
  if (names_git_dir(name)) return "a name git reserves ('.git')";
  return std::nullopt;
}

}  // namespace

std::optional<TreeProblem> parse_canonical_tree(std::span<const std::byte> bytes,
                                                std::vector<RawTreeEntry>& out) {
  out.clear();
  std::string_view rest(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  while (!rest.empty()) {
    auto space = rest.find(' ');
    auto nul = rest.find('\0');
    if (space == std::string_view::npos || nul == std::string_view::npos || nul < space ||
        rest.size() - nul - 1 < GIT_OID_RAWSZ) {
      return TreeProblem{"", "is not a valid tree object (entry " + std::to_string(out.size() + 1) +
                                 " is truncated)"};
    }
    RawTreeEntry e;
    e.mode = rest.substr(0, space);
    e.name = rest.substr(space + 1, nul - space - 1);
    std::memcpy(e.id.data(), rest.data() + nul + 1, GIT_OID_RAWSZ);
    rest.remove_prefix(nul + 1 + GIT_OID_RAWSZ);
    if (auto why = bad_name(e.name)) return TreeProblem{"", "holds an entry with " + *why};
    if (std::find(k_modes.begin(), k_modes.end(), e.mode) == k_modes.end()) {
      return TreeProblem{printable(e.name),
                         "has mode '" + printable(e.mode) +
                             "', not one git writes (100644, 100755, 120000, 40000, 160000)"};
    }
    if (!out.empty() &&
        git_order(out.back().name, out.back().is_tree(), e.name, e.is_tree()) >= 0) {
      bool same = out.back().name == e.name;
      return TreeProblem{printable(e.name),
                         same ? "appears twice in its directory"
                              : "is out of git's order in its directory (a hand-made tree)"};
    }
    out.push_back(std::move(e));
  }
  // In git's order a file "a" and a directory "a" ("a/") need not be
  // adjacent (names such as "a-b" lie between them): look the directories
  // up among the files (mixed directories are rare in a ledger: the root).
  bool has_tree = false, has_file = false;
  for (const auto& e : out) (e.is_tree() ? has_tree : has_file) = true;
  if (has_tree && has_file) {
    std::unordered_set<std::string_view> files;
    for (const auto& e : out) {
      if (!e.is_tree()) files.insert(e.name);
    }
    for (const auto& e : out) {
      if (e.is_tree() && files.contains(e.name)) {
        return TreeProblem{printable(e.name),
                           "appears twice in its directory (a file and a directory)"};
      }
    }
  }
  return std::nullopt;
}

// One commit's walk: the offenses found and the parents' trees to compare with.
struct NewTreeChecker::Walk {
  git_repository* repo = nullptr;
  git_odb* odb = nullptr;
  std::unordered_set<std::string>& passed;
  std::vector<TreeOffense> offenses;

  void offend(const std::string& path, std::string reason) {
    offenses.push_back({path, std::move(reason)});
  }

  // Checks the tree `id` at `path` ("" or "dir/sub/") against `olds`, the
  // parents' trees at the same path (possibly none).
  Result<void> tree(const git_oid& id, const std::string& path, std::size_t depth,
                    const std::vector<GitTreePtr>& olds) {
    std::string key(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ);
    if (passed.contains(key)) return {};
    for (const auto& o : olds) {
      if (git_oid_equal(git_tree_id(o.get()), &id)) return {};
    }
    std::string where = path.empty() ? k_root : path.substr(0, path.size() - 1);
    if (depth > k_max_tree_depth) {
      offend(where, "nests directories deeper than " + std::to_string(k_max_tree_depth));
      return {};
    }
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    int rc = git_odb_read_header(&size, &type, odb, &id);
    if (rc == GIT_ENOTFOUND) {
      offend(where, "is a directory whose tree object " + hex_of(key) + " is missing");
      return {};
    }
    if (rc != 0) return io_error("cannot read object " + hex_of(key));
    if (type != GIT_OBJECT_TREE) {
      offend(where, std::string("is a directory (mode 40000) whose object is a ") +
                        git_object_type2string(type) + ", not a tree");
      return {};
    }
    if (size > k_max_tree_bytes) {
      offend(where, "is a directory of " + std::to_string(size) + " bytes (limit " +
                        std::to_string(k_max_tree_bytes) + ")");
      return {};
    }
    git_odb_object* raw = nullptr;
    if (git_odb_read(&raw, odb, &id) != 0) return io_error("cannot read tree " + hex_of(key));
    GitOdbObjectPtr object(raw);
    std::vector<RawTreeEntry> entries;
    auto problem =
        parse_canonical_tree({static_cast<const std::byte*>(git_odb_object_data(object.get())),
                              git_odb_object_size(object.get())},
                             entries);
    if (problem) {
      offend(problem->name.empty() ? where : path + problem->name, problem->reason);
      return {};
    }
    std::size_t before = offenses.size();
    for (const auto& e : entries) {
      if (!e.is_tree()) continue;
      git_oid child;
      git_oid_fromraw(&child, e.id.data());
      // The parents' entries of that name: an unchanged subtree is not read.
      std::vector<const git_tree_entry*> same_name;
      bool unchanged = false;
      for (const auto& o : olds) {
        const git_tree_entry* oe = git_tree_entry_byname(o.get(), e.name.c_str());
        if (!oe || git_tree_entry_type(oe) != GIT_OBJECT_TREE) continue;
        unchanged = unchanged || git_oid_equal(git_tree_entry_id(oe), &child);
        same_name.push_back(oe);
      }
      if (unchanged) continue;
      std::vector<GitTreePtr> old_children;
      for (const git_tree_entry* oe : same_name) {
        git_tree* t = nullptr;
        if (git_tree_lookup(&t, repo, git_tree_entry_id(oe)) == 0) old_children.emplace_back(t);
      }
      PD_TRY(tree(child, path + printable(e.name) + "/", depth + 1, old_children));
    }
    if (offenses.size() == before) passed.insert(std::move(key));
    return {};
  }
};

Result<std::vector<TreeOffense>> NewTreeChecker::check(const std::string& commit,
                                                       const std::vector<std::string>& parents) {
  git_repository* repo = m_repo.native();
  if (!repo) return io_error("cannot open the ledger repository");
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo) != 0) return io_error("cannot open the object store");
  GitOdbPtr odb(raw_odb);
  std::vector<GitTreePtr> olds;
  for (const auto& p : parents) {
    PD_ASSIGN_OR_RETURN(GitCommitPtr parent, lookup_commit(repo, p));
    git_tree* t = nullptr;
    if (git_commit_tree(&t, parent.get()) == 0) olds.emplace_back(t);
  }
  PD_ASSIGN_OR_RETURN(GitCommitPtr c, lookup_commit(repo, commit));
  Walk walk{repo, odb.get(), m_passed, {}};
  PD_TRY(walk.tree(*git_commit_tree_id(c.get()), "", 0, olds));
  return std::move(walk.offenses);
}

}  // namespace pedigree::sync
