#include "pedigree/hash/hash_path.hpp"

#include <system_error>

#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::hash {
namespace {

std::string cache_key(const std::filesystem::path& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  if (ec) canonical = std::filesystem::absolute(path, ec).lexically_normal();
  return canonical.string();
}

}  // namespace

Result<ModelHashes> hash_path(const std::string& path, const HashOptions& options,
                              HashCache* cache) {
  PD_ASSIGN_OR_RETURN(FileStat st, stat_file(path));
  if (!st.is_regular && !st.is_directory) {
    return invalid_argument(path + ": not a regular file or folder");
  }
  const std::string key = st.is_regular ? cache_key(path) : std::string();
  if (cache != nullptr && st.is_regular) {
    if (auto hit = cache->find(key, st, options.sets)) {
      hit->file = path;
      return *hit;
    }
  }
  // Only weights and AutoV3 need the checkpoint structure; --only sha256 never parses.
  const bool needs_checkpoint = (options.sets & (k_set_weights | k_set_autov3)) || st.is_directory;
  std::optional<formats::Checkpoint> checkpoint;
  std::optional<Error> why_not;
  if (st.is_regular && st.size == 0) {
    why_not = Error(ErrorCode::k_corruption, path + ": empty file (0 bytes) is not a checkpoint");
  } else if (needs_checkpoint) {
    auto opened = formats::open_checkpoint(path);
    if (opened) {
      checkpoint = std::move(*opened);
    } else {
      why_not = opened.error();
    }
  }
  PD_ASSIGN_OR_RETURN(
      ModelHashes hashes,
      hash_checkpoint(path, path, checkpoint ? &*checkpoint : nullptr, why_not, options));
  if (cache != nullptr && st.is_regular) cache->put(key, st, hashes);
  return hashes;
}

}  // namespace pedigree::hash
