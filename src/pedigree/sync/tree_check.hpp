// Structural check of the git trees a remote sends, before anything reads
// them through libgit2's tree API. libgit2 parses a tree without checking
// it (`git fsck` does): its lookup by name is a binary search that assumes
// sorted, unique entries, and it hides how a mode was spelled. A hostile
// remote can write any bytes as a tree object, so each new tree is parsed
// here from its raw bytes and must be canonical:
//   - entries `<mode> SP <name> NUL <20-byte id>`, nothing left over;
//   - modes spelled exactly 100644, 100755, 120000, 40000 or 160000;
//   - names non-empty, without '/', not ".", "..", or a name git treats as
//     ".git" (any case, trailing dots or spaces, the 8.3 name "git~1");
//   - names unique, in git's order (as if a subtree's name ended in '/'),
//     strictly increasing;
//   - a 40000 entry names an existing tree, nested at most k_max_tree_depth.
// Files (blobs) are not opened here: the verifier reads each added one.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "pedigree/ledger/git.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::sync {

// The ledger layout is 4 directories deep; anything much deeper is hostile
// (and would exhaust the stack of a recursive walk).
inline constexpr std::size_t k_max_tree_depth = 32;
// Largest tree object accepted: ~300,000 entries of a ledger's longest names.
inline constexpr std::size_t k_max_tree_bytes = 32u << 20;

// One entry of a raw tree object.
struct RawTreeEntry {
  std::string mode;  // as spelled in the object
  std::string name;
  std::array<unsigned char, 20> id{};  // the object's raw SHA-1
  bool is_tree() const { return mode == "40000"; }
};

// A reason a tree is refused: `name` is the entry concerned ("" for the
// tree as a whole), `reason` one line.
struct TreeProblem {
  std::string name;
  std::string reason;
};

// Parses the bytes of a tree object (without the "tree N\0" header) into
// `out` (cleared first). Returns the first problem, or nullopt when the tree
// is canonical. Pure: no libgit2, usable on any bytes.
std::optional<TreeProblem> parse_canonical_tree(std::span<const std::byte> bytes,
                                                std::vector<RawTreeEntry>& out);

// A problem found in an incoming tree: the path of the tree or entry
// (ledger-relative, "" for the root tree; unprintable bytes escaped as \xNN)
// and why it is refused.
struct TreeOffense {
  std::string path;
  std::string reason;
};

// Checks the new trees of incoming commits, each tree id once per sync.
// Not thread-safe (libgit2 objects of one repository).
class NewTreeChecker {
public:
  explicit NewTreeChecker(ledger::GitRepo& repo) : m_repo(repo) {}

  // Checks the trees of `commit` that are new: its root tree and every subtree
  // whose id differs from the one at the same path in each of `parents`
  // (commits already accepted, or checked by an earlier call) and that no
  // earlier call passed. Errors are local failures; the remote's faults are
  // returned as offenses (empty when every new tree is canonical).
  Result<std::vector<TreeOffense>> check(const std::string& commit,
                                         const std::vector<std::string>& parents);

  std::size_t trees_checked() const { return m_passed.size(); }

private:
  struct Walk;
  ledger::GitRepo& m_repo;
  std::unordered_set<std::string> m_passed;  // raw 20-byte ids of trees that passed
};

}  // namespace pedigree::sync
