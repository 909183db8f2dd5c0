// Where `pedigree site DIR` writes, and how it replaces a previous site
// atomically: everything is written into a fresh sibling directory and then
// swapped with DIR in one rename (renameat2 RENAME_EXCHANGE), so a web server
// serving DIR sees the old site or the new one, never a mixture, and a crash
// leaves the old site as it was.
#pragma once

#include <filesystem>
#include <string>

#include "pedigree/util/error.hpp"

namespace pedigree::site {

// The file that marks a directory as a site pedigree wrote
// ({"schema":"pedigree-site/1",...}); a DIR holding it may be replaced.
inline constexpr const char* k_marker_file = "pedigree-site.json";

enum class Overwrite { k_refuse, k_force };

// What DIR is now.
enum class DirState { k_absent, k_empty, k_previous_site, k_other };
Result<DirState> dir_state(const std::filesystem::path& dir);

// Checks that DIR may be written (absent, an empty directory, a previous
// site, or anything with k_force; Conflict otherwise, naming what is there)
// and creates the temporary sibling directory the site is built in
// (".NAME.tmp-XXXXXX" beside DIR, mode 0755). IOError when it cannot.
Result<std::filesystem::path> begin_site(const std::filesystem::path& dir, Overwrite overwrite);

// Makes `staging` (from begin_site) DIR: checks DIR again (it may have
// changed while the site was built), syncs the staging directory's file
// system, swaps it with DIR in one rename and removes what was DIR.
Result<void> publish_site(const std::filesystem::path& staging, const std::filesystem::path& dir,
                          Overwrite overwrite);

// Removes a staging directory after a failure (best effort).
void abandon_site(const std::filesystem::path& staging);

}  // namespace pedigree::site
