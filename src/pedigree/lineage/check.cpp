#include "pedigree/lineage/check.hpp"

#include "pedigree/crypto/digest.hpp"
#include "pedigree/scan/scan.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::lineage {
namespace {

class Sha256Sink : public scan::ByteSink {
public:
  void begin_source(std::uint32_t, std::uint64_t) override {}
  void update(std::uint32_t, std::uint64_t, ByteView chunk) override { m_sha.update(chunk); }
  void end_source(std::uint32_t) override {}
  std::string hex() {
    auto d = m_sha.finish();
    return to_hex(d);
  }

private:
  crypto::Sha256 m_sha;
};

std::vector<CandidateVerdict> decide_candidates(const FactBase& facts, const Resolution& r,
                                                const std::string& via) {
  std::vector<CandidateVerdict> out;
  for (const auto& c : r.candidates) {
    CheckInput in;
    in.target.input = r.input;
    in.target.kind = r.kind;
    in.target.sha256 = c.sha256;
    in.target.matched_by = c.matched_by;
    in.target.weak_match = r.weak;
    out.push_back({c, via, decide(facts, in)});
  }
  return out;
}

// The verdict for an input that named nothing the ledger knows.
Verdict unresolved(const FactBase& facts, const std::string& input, const std::string& kind) {
  CheckInput in;
  in.target.input = input;
  in.target.kind = kind;
  return decide(facts, in);
}

Result<CheckReport> check_image(const FactBase& facts, const std::filesystem::path& path,
                                ByteView bytes) {
  CheckReport report;
  report.input = path.string();
  report.kind = "image";
  report.identity.input = path.string();
  report.identity.kind = "image";
  PD_ASSIGN_OR_RETURN(auto meta, read_image_metadata(bytes, path.string()));
  for (const auto& ref : meta.models) {
    Resolution r = ref.hash.empty() ? Resolution{} : resolve(facts, ref.hash);
    if (r.candidates.empty() && !ref.name.empty()) r = resolve(facts, ref.name);
    auto found = decide_candidates(facts, r, ref.origin);
    report.candidates.insert(report.candidates.end(), found.begin(), found.end());
  }
  if (report.candidates.empty()) {
    report.verdict = unresolved(facts, path.string(), "image");
    report.verdict.next_steps.insert(
        report.verdict.next_steps.begin(),
        meta.models.empty() ? std::string("the picture names no model (no A1111 parameters, no "
                                          "ComfyUI checkpoint loader)")
                            : std::string("the model the picture names is not in the ledger"));
  } else {
    report.verdict = combine_candidates(report.candidates);
  }
  report.image = std::move(meta);
  return report;
}

}  // namespace

Result<FileScanResult> scan_file_identity(const std::filesystem::path& path) {
  Sha256Sink sha;
  scan::ByteSink* sinks[] = {&sha};
  PD_TRY(scan::scan_file(path, sinks));
  FileScanResult out;
  out.identity.input = path.string();
  out.identity.kind = "file";
  out.identity.sha256 = sha.hex();
  out.identity.matched_by = "";
  return out;
}

Verdict combine_candidates(const std::vector<CandidateVerdict>& candidates) {
  if (candidates.empty()) return Verdict{};
  if (candidates.size() == 1) return candidates.front().verdict;
  Verdict out = candidates.front().verdict;
  for (const auto& c : candidates) {
    if (c.verdict.verdict != out.verdict) {
      Verdict unknown;
      unknown.summary = "the input matches " + std::to_string(candidates.size()) +
                        " artifacts that disagree; a collision cannot decide";
      unknown.next_steps.push_back("check the full SHA-256 or the file itself");
      return unknown;
    }
    out.confidence = std::min(out.confidence, c.verdict.confidence);
  }
  out.summary =
      "all " + std::to_string(candidates.size()) + " matching artifacts agree: " + out.summary;
  return out;
}

Result<CheckReport> check_target(const FactBase& facts, std::string_view target) {
  std::filesystem::path path(target);
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (exists) {
    PD_ASSIGN_OR_RETURN(auto st, stat_file(path));
    if (st.is_directory)
      return not_supported(path.string() +
                           ": checking a folder (diffusers layout) is not supported "
                           "yet; check its .safetensors files");
    PD_ASSIGN_OR_RETURN(auto file, File::open_read(path));
    std::uint8_t head[16] = {};
    PD_ASSIGN_OR_RETURN(auto got, file.read_some(0, head));
    if (detect_image_format(ByteView(head, got))) {
      if (file.size() > k_max_image_bytes)
        return invalid_argument(path.string() + ": image larger than " +
                                std::to_string(k_max_image_bytes) + " bytes");
      PD_ASSIGN_OR_RETURN(auto map, MappedFile::open(path));
      return check_image(facts, path, map.bytes());
    }
    PD_ASSIGN_OR_RETURN(auto scanned, scan_file_identity(path));
    CheckReport report;
    report.input = path.string();
    report.kind = "file";
    report.identity = scanned.identity;
    CheckInput in{scanned.identity, scanned.recipes, scanned.fingerprint};
    report.verdict = decide(facts, in);
    if (facts.artifact(scanned.identity.sha256))
      report.candidates.push_back(
          {{scanned.identity.sha256, facts.display_name(scanned.identity.sha256), "sha256"},
           "SHA-256 of the file",
           report.verdict});
    return report;
  }
  if (target.find('/') != std::string_view::npos)
    return not_found(std::string(target) + ": no such file");
  Resolution r = resolve(facts, target);
  CheckReport report;
  report.input = std::string(target);
  report.kind = r.kind;
  report.identity.input = r.input;
  report.identity.kind = r.kind;
  report.candidates = decide_candidates(facts, r, r.kind == "hash" ? "pasted hash" : "name");
  if (report.candidates.empty()) {
    report.verdict = unresolved(facts, r.input, r.kind);
  } else {
    report.verdict = combine_candidates(report.candidates);
    if (report.candidates.size() == 1)
      report.identity = TargetIdentity{r.input,
                                       r.kind,
                                       report.candidates[0].candidate.sha256,
                                       report.candidates[0].candidate.matched_by,
                                       r.weak,
                                       "",
                                       ""};
  }
  return report;
}

}  // namespace pedigree::lineage
