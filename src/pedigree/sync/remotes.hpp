// The remotes a ledger syncs with and what pedigree last accepted from each,
// kept in .git/pedigree/remotes.json: outside the tracked files and outside
// git's refs, so neither a fetch nor a remote can rewrite it. Format
// (docs/sync.md):
//   {"format":1,"remotes":[{"name":"origin","url":"...","branch":"main",
//                            "accepted_tip":"<commit id>"|null}]}
// Every save writes a temporary file (mode 0600: URLs may hold a password)
// and renames it over the old one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/util/error.hpp"

namespace pedigree::sync {

struct Remote {
  std::string name;  // [A-Za-z0-9][A-Za-z0-9._-]*, at most 64 characters
  std::string url;   // anything libgit2 fetches from: path, file://, git://, ssh://, https://
  std::string branch = "main";
  std::optional<std::string> accepted_tip;  // last remote commit verified and merged
};

class RemoteStore {
public:
  // Where a ledger's store lives: <ledger>/.git/pedigree/remotes.json.
  static std::filesystem::path path_for(const std::filesystem::path& ledger_dir);
  // Loads the store at `file`; an absent file is an empty store. Corruption
  // naming the file when it is not a valid store.
  static Result<RemoteStore> load(const std::filesystem::path& file);

  const std::vector<Remote>& remotes() const { return m_remotes; }
  // nullptr when no remote has that name.
  const Remote* find(std::string_view name) const;
  // InvalidArgument for a bad name or empty URL, Conflict when the name exists.
  Result<void> add(const std::string& name, const std::string& url);
  // NotFound when no remote has that name.
  Result<void> remove(std::string_view name);
  // Records the tip accepted from `name` (NotFound when unknown).
  Result<void> set_accepted_tip(std::string_view name, const std::string& tip);

  // Writes the store atomically.
  Result<void> save() const;

private:
  explicit RemoteStore(std::filesystem::path file) : m_file(std::move(file)) {}
  std::filesystem::path m_file;
  std::vector<Remote> m_remotes;
};

// InvalidArgument unless `name` is a valid remote name.
Result<void> check_remote_name(std::string_view name);

}  // namespace pedigree::sync
