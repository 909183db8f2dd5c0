#include "pedigree/fingerprint/load.hpp"

#include <array>

#include "pedigree/fingerprint/builder.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::fingerprint {

Result<Fingerprint> fingerprint_file(const std::filesystem::path& path,
                                     const scan::ScanOptions& options, SketchParams params) {
  PD_ASSIGN_OR_RETURN(auto checkpoint, formats::open_checkpoint(path));
  auto plan = plan_checkpoint(checkpoint);
  if (!plan) return std::unexpected(plan.error().with_context(path.string()));
  FingerprintBuilder builder(std::move(*plan), params);
  std::array<scan::TensorSink*, 1> sinks{&builder};
  auto scanned = scan::scan_checkpoint(checkpoint, {}, sinks, options);
  if (!scanned) return std::unexpected(scanned.error());
  auto fp = builder.finish();
  if (!fp) return std::unexpected(fp.error().with_context(path.string()));
  return fp;
}

Result<Fingerprint> load_fingerprint(const std::filesystem::path& path,
                                     const scan::ScanOptions& options) {
  PD_ASSIGN_OR_RETURN(auto st, stat_file(path));
  if (st.is_regular) {
    PD_ASSIGN_OR_RETURN(auto file, File::open_read(path));
    std::array<std::uint8_t, sizeof k_fp_magic> head{};
    PD_ASSIGN_OR_RETURN(auto n, file.read_some(0, head));
    if (looks_like_fp(ByteView(head).first(n))) return read_fp_file(path);
  }
  return fingerprint_file(path, options);
}

}  // namespace pedigree::fingerprint
