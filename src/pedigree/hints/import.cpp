#include "pedigree/hints/import.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <system_error>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/hash/hash_file.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::hints {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t k_max_document = 16ull << 20;

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<ImportResult> record(const fs::path& ledger_dir, Hint hint, const std::string& text) {
  hint.imported = now_utc();
  hint.document_sha256 = crypto::sha256_hex(text);
  PD_ASSIGN_OR_RETURN(auto store, HintStore::load(HintStore::path_for_ledger(ledger_dir)));
  ImportResult out{hint, false, store.path()};
  out.replaced = store.add(std::move(hint));
  PD_TRY(store.save());
  return out;
}

// The SHA-256 of each model file at the top of a downloaded repository.
Result<std::vector<HintFile>> hash_model_files(const fs::path& dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string ext = to_lower_ascii(it->path().extension().string());
    if ((ext == ".safetensors" || ext == ".ckpt") && it->is_regular_file(ec))
      found.push_back(it->path());
  }
  if (ec) return io_error(dir.string() + ": cannot list: " + ec.message());
  std::sort(found.begin(), found.end());
  std::vector<HintFile> out;
  for (const auto& p : found) {
    hash::HashOptions options;
    options.sets = hash::k_set_sha256;
    PD_ASSIGN_OR_RETURN(auto h,
                        hash::hash_checkpoint(p.string(), p, nullptr, std::nullopt, options));
    out.push_back({p.filename().string(), {{"sha256", h.sha256.value_or("")}}});
  }
  return out;
}

}  // namespace

Result<ImportResult> import_civitai(const fs::path& ledger_dir, const fs::path& file) {
  PD_ASSIGN_OR_RETURN(auto text, read_file(file, k_max_document));
  PD_ASSIGN_OR_RETURN(auto hint, parse_civitai_version(text, file.string()));
  return record(ledger_dir, std::move(hint), text);
}

Result<ImportResult> import_hf(const fs::path& ledger_dir, const fs::path& path,
                               const std::string& repo) {
  PD_ASSIGN_OR_RETURN(auto st, stat_file(path));
  const fs::path card = st.is_directory ? path / "README.md" : path;
  PD_ASSIGN_OR_RETURN(auto text, read_file(card, k_max_document));
  PD_ASSIGN_OR_RETURN(auto hint, parse_hf_model_card(text, card.string()));
  if (!repo.empty()) {
    auto id = hash::classify_identifier("hf:" + repo);
    if (!id || id->kind != hash::IdentifierKind::k_hf_repo || !id->hf.revision.empty())
      return invalid_argument("--repo " + repo + ": expected a Hugging Face owner/name");
    hint.hf_repo = to_lower_ascii(id->hf.repo);
  }
  if (st.is_directory) {
    PD_ASSIGN_OR_RETURN(hint.files, hash_model_files(path));
  }
  if (hint.hf_repo.empty() && hint.files.empty())
    return invalid_argument(card.string() +
                            ": give --repo owner/name (a model card does not name its own "
                            "repository) or the downloaded repository folder with its model files");
  hint.title = hint.hf_repo.empty() ? path.filename().string() : hint.hf_repo;
  return record(ledger_dir, std::move(hint), text);
}

}  // namespace pedigree::hints
