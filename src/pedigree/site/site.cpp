#include "pedigree/site/site.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/index/index.hpp"
#include "pedigree/lineage/graph.hpp"
#include "pedigree/pages/assets.hpp"
#include "pedigree/pages/model_page.hpp"
#include "pedigree/site/search_index.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::site {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Models per Graphviz run: large enough that `dot`'s start is noise, small
// enough that a thread's batch stays a few MB.
constexpr std::size_t k_batch = 128;

bool is_sha256_name(std::string_view text) {
  return text.size() == 64 && is_hex(text) && to_lower_ascii(text) == text;
}

// Where a model's files go: model/XX/SHA256.{json,svg}, XX its first two
// digits, so no directory holds more than ~1/256 of the ledger (static hosts
// and file systems slow down on huge directories).
std::string model_path(const std::string& sha256, const char* extension) {
  return "model/" + sha256.substr(0, 2) + "/" + sha256 + extension;
}

// Writes new files under the staging root and counts them. Thread-safe.
class Writer {
public:
  explicit Writer(fs::path root) : m_root(std::move(root)) {}

  Result<void> write(const std::string& relative, std::string_view body) {
    const fs::path path = m_root / relative;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(path.string() + ": cannot create: " + std::strerror(errno));
    const int rc = write_fully(fd, body.data(), body.size());
    const int closed = ::close(fd);
    if (rc != 0 || closed != 0) return io_error(path.string() + ": cannot write");
    m_files.fetch_add(1);
    m_bytes.fetch_add(body.size());
    return {};
  }

  Result<void> make_dir(const std::string& relative) {
    std::error_code ec;
    fs::create_directories(m_root / relative, ec);
    if (ec) return io_error((m_root / relative).string() + ": " + ec.message());
    return {};
  }

  std::size_t files() const { return m_files.load(); }
  std::uint64_t bytes() const { return m_bytes.load(); }

private:
  fs::path m_root;
  std::atomic<std::size_t> m_files{0};
  std::atomic<std::uint64_t> m_bytes{0};
};

struct Entries {
  std::vector<SearchEntry> names, hashes;
};

// The pages of `shas`: each model's JSON and its ancestry SVG (one Graphviz
// run for the batch), and its search entries into `out`.
Result<void> build_batch(index::Index& index, const SiteOptions& options,
                         const lineage::CheckOptions& check, const std::string* shas,
                         std::size_t count, Writer& writer, Entries& out) {
  std::vector<std::string> dots;
  dots.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    PD_ASSIGN_OR_RETURN(auto page,
                        pages::model_page(index, options.references_dir, shas[i], check));
    PD_TRY(writer.write(model_path(shas[i], ".json"), site_json_text(page.view)));
    add_page_entries(page.view, out.names, out.hashes);
    dots.push_back(std::move(page.dot));
  }
  PD_ASSIGN_OR_RETURN(auto svgs, lineage::render_svgs(dots));
  for (std::size_t i = 0; i < count; ++i)
    PD_TRY(writer.write(model_path(shas[i], ".svg"), svgs[i]));
  return {};
}

// Builds every model page on `jobs` threads, each with its own index
// connection; the first error stops them all.
Result<Entries> build_pages(const SiteOptions& options, const std::vector<std::string>& shas,
                            Writer& writer) {
  const unsigned jobs =
      std::max(1u, options.jobs != 0 ? options.jobs : std::thread::hardware_concurrency());
  const lineage::CheckOptions check = pages::read_only_check_options(1);
  std::atomic<std::size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::optional<Error> failure;
  std::vector<Entries> per_thread(jobs);
  auto fail = [&](Error e) {
    std::lock_guard lock(mutex);
    if (!failure) failure = std::move(e);
    stop = true;
  };
  auto work = [&](unsigned t) {
    auto index = index::Index::open(options.index_path);
    if (!index) return fail(index.error());
    while (!stop) {
      const std::size_t begin = next.fetch_add(k_batch);
      if (begin >= shas.size()) break;
      const std::size_t count = std::min(k_batch, shas.size() - begin);
      auto built =
          build_batch(*index, options, check, shas.data() + begin, count, writer, per_thread[t]);
      if (!built) return fail(built.error());
      done.fetch_add(count);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < jobs; ++t) threads.emplace_back(work, t);
  while (options.progress && done.load() < shas.size() && !stop) {
    options.progress(done.load(), shas.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  for (auto& t : threads) t.join();
  if (failure) return std::unexpected(*failure);
  if (options.progress) options.progress(shas.size(), shas.size());
  Entries all;
  for (auto& e : per_thread) {
    std::move(e.names.begin(), e.names.end(), std::back_inserter(all.names));
    std::move(e.hashes.begin(), e.hashes.end(), std::back_inserter(all.hashes));
  }
  return all;
}

// Every artifact (subject of at least one valid event), by SHA-256: the
// index's artifacts table (docs/formats/index.md). Each page then reads its
// artifact's events through the checked queries of pages::model_page.
Result<std::vector<std::string>> all_artifacts(index::Index& index) {
  PD_ASSIGN_OR_RETURN(index::Statement st,
                      index.database().prepare("SELECT sha256 FROM artifacts ORDER BY sha256"));
  std::vector<std::string> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(st.column_text(0));
    // It becomes a file name: a damaged index must not write elsewhere.
    if (!is_sha256_name(out.back()))
      return corruption(
          "index: an artifact is not named by a lower-case SHA-256 (run "
          "`pedigree index rebuild`)");
  }
  return out;
}

// pedigree-site.json: marks the directory as a site pedigree wrote and tells
// the page what /api/info tells it behind a server.
Result<json> site_info(index::Index& index, const SiteOptions& options, std::size_t models) {
  PD_ASSIGN_OR_RETURN(auto counts, index.counts());
  PD_ASSIGN_OR_RETURN(auto commit, index.last_commit());
  return json{{"schema", "pedigree-site/1"},
              {"version", PEDIGREE_VERSION},
              {"ledger", options.ledger_label},
              {"commit", commit.value_or("")},
              {"models", models},
              {"events",
               {{"valid", counts.valid},
                {"untrusted", counts.untrusted},
                {"invalid", counts.invalid},
                {"unknown_key", counts.unknown_key},
                {"revoked", counts.revoked},
                {"duplicate", counts.duplicate}}}};
}

Result<SiteStats> build_into(const SiteOptions& options, const fs::path& staging) {
  PD_ASSIGN_OR_RETURN(auto index, index::Index::open(options.index_path));
  PD_ASSIGN_OR_RETURN(auto shas, all_artifacts(index));
  Writer writer(staging);
  std::set<std::string> prefixes;
  for (const auto& sha : shas) prefixes.insert(sha.substr(0, 2));
  for (const auto& p : prefixes) PD_TRY(writer.make_dir("model/" + p));
  PD_ASSIGN_OR_RETURN(Entries entries, build_pages(options, shas, writer));
  PD_TRY(writer.make_dir("search/names"));
  PD_TRY(writer.make_dir("search/hashes"));
  for (auto* list : {&entries.names, &entries.hashes}) {
    const std::string kind = list == &entries.names ? "names" : "hashes";
    for (const auto& f : shard_entries(std::move(*list), kind))
      PD_TRY(writer.write(f.path, f.body));
  }
  for (const auto& asset : pages::all_assets())
    PD_TRY(writer.write(std::string(asset.file_name),
                        pages::asset_body(asset, pages::PageMode::k_static)));
  PD_ASSIGN_OR_RETURN(json info, site_info(index, options, shas.size()));
  PD_TRY(writer.write(k_marker_file, info.dump(2) + "\n"));
  return SiteStats{shas.size(), writer.files(), writer.bytes(), info["commit"].get<std::string>()};
}

}  // namespace

Result<SiteStats> build_site(const SiteOptions& options) {
  PD_ASSIGN_OR_RETURN(fs::path staging, begin_site(options.out_dir, options.overwrite));
  auto stats = build_into(options, staging);
  if (!stats) {
    abandon_site(staging);
    return stats;
  }
  auto published = publish_site(staging, options.out_dir, options.overwrite);
  if (!published) {
    abandon_site(staging);
    return std::unexpected(published.error());
  }
  return stats;
}

}  // namespace pedigree::site
