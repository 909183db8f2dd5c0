// `pedigree site DIR`: the web page of `pedigree serve` rendered to static
// files for a ledger, to publish on any static host (docs/site.md). The same
// page files (pages/assets), the same model pages (pages::model_page: the
// verdict `check` gives from the ledger alone) and the same Graphviz drawing
// as the server; only the transport differs: JSON files instead of the API,
// and a sharded search index (search_index.hpp) instead of /api/search.
//
// Deterministic: the same ledger index and the same pedigree version give
// byte-identical files. Atomic: built beside DIR and swapped in (site_dir.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "pedigree/site/site_dir.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::site {

struct SiteOptions {
  std::filesystem::path index_path;      // the ledger's SQLite index, up to date (only read)
  std::filesystem::path references_dir;  // local reference fingerprints (read, never written)
  std::string ledger_label;              // shown in the page's footer (not a local path)
  std::filesystem::path out_dir;         // DIR
  Overwrite overwrite = Overwrite::k_refuse;
  unsigned jobs = 0;  // threads building pages (0: all cores)
  // Called now and then from one thread with (models done, models in all).
  std::function<void(std::size_t, std::size_t)> progress;
};

struct SiteStats {
  std::size_t models = 0;   // model pages written
  std::size_t files = 0;    // files written in all
  std::uint64_t bytes = 0;  // their total size
  std::string commit;       // the ledger commit the site shows
};

// Builds the site of the ledger behind `options.index_path` into
// `options.out_dir`. Errors: Conflict when DIR is not empty and not a
// previous site (without k_force); NotSupported when Graphviz is missing;
// IOError for writes; index errors as they come. On any error DIR is left as
// it was and the staging directory is removed.
Result<SiteStats> build_site(const SiteOptions& options);

}  // namespace pedigree::site
