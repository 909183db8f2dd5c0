#include "pedigree/lineage/check.hpp"

#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/recipes.hpp"
#include "pedigree/hash/hash_file.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::lineage {
namespace {

// Decides each candidate of a resolution (loading its neighbourhood first).
Result<std::vector<CandidateVerdict>> decide_candidates(FactSource& source, const Resolution& r,
                                                        const std::string& via) {
  std::vector<CandidateVerdict> out;
  for (const auto& c : r.candidates) {
    PD_ASSIGN_OR_RETURN(const FactBase* facts, source.load({c.sha256}));
    CheckInput in;
    in.target.input = r.input;
    in.target.kind = r.kind;
    in.target.sha256 = c.sha256;
    in.target.matched_by = c.matched_by;
    in.target.weak_match = r.weak;
    out.push_back({c, via, decide(*facts, in)});
  }
  return out;
}

// The verdict for an input that named nothing the ledger knows.
Result<Verdict> unresolved(FactSource& source, const std::string& input, const std::string& kind) {
  PD_ASSIGN_OR_RETURN(const FactBase* facts, source.load({}));
  CheckInput in;
  in.target.input = input;
  in.target.kind = kind;
  return decide(*facts, in);
}

Result<CheckReport> check_image(FactSource& source, const std::filesystem::path& path,
                                ByteView bytes) {
  CheckReport report;
  report.input = path.string();
  report.kind = "image";
  report.identity.input = path.string();
  report.identity.kind = "image";
  PD_ASSIGN_OR_RETURN(auto meta, read_image_metadata(bytes, path.string()));
  for (const auto& ref : meta.models) {
    Resolution r;
    if (!ref.hash.empty() && looks_like_hash(ref.hash)) {
      PD_ASSIGN_OR_RETURN(r, source.resolve(ref.hash));
    }
    if (r.candidates.empty() && !ref.name.empty()) {
      PD_ASSIGN_OR_RETURN(r, source.resolve(ref.name));
    }
    PD_ASSIGN_OR_RETURN(auto found, decide_candidates(source, r, ref.origin));
    report.candidates.insert(report.candidates.end(), found.begin(), found.end());
  }
  if (report.candidates.empty()) {
    PD_ASSIGN_OR_RETURN(report.verdict, unresolved(source, path.string(), "image"));
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

// Parents named by the file's own metadata recipes (not nested ancestors).
std::vector<MetadataRecipe> recipes_of(const formats::Checkpoint& checkpoint) {
  std::vector<MetadataRecipe> out;
  auto report = formats::decode_recipes(checkpoint.metadata);
  for (const auto& recipe : report.recipes) {
    if (!recipe.subject_sha256.empty()) continue;
    for (const auto& p : recipe.parents) {
      MetadataRecipe m;
      m.parent = !p.sha256.empty() ? p.sha256 : (!p.short_hash.empty() ? p.short_hash : p.name);
      m.relation = recipe.method.empty() ? p.role : recipe.method;
      m.weight = p.weight;
      m.source = std::string(formats::recipe_source_name(recipe.source));
      out.push_back(std::move(m));
    }
  }
  return out;
}

Result<CheckReport> check_file(FactSource& source, const std::filesystem::path& path) {
  PD_ASSIGN_OR_RETURN(auto scanned, scan_file_identity(path));
  std::vector<std::string> roots;
  if (!scanned.identity.sha256.empty()) roots.push_back(scanned.identity.sha256);
  for (auto [kind, value] : {std::pair{"weights", scanned.identity.weights_hash},
                             std::pair{"unet", scanned.identity.unet_hash}}) {
    if (value.empty()) continue;
    PD_ASSIGN_OR_RETURN(auto shas, source.artifacts_with_hash(kind, value));
    roots.insert(roots.end(), shas.begin(), shas.end());
  }
  for (auto& r : scanned.recipes) {
    if (!looks_like_hash(r.parent) || r.parent.size() < 10) continue;  // AutoV1 is too weak
    PD_ASSIGN_OR_RETURN(auto res, source.resolve(r.parent));
    if (res.candidates.size() == 1) {
      r.resolved = res.candidates[0].sha256;
      roots.push_back(r.resolved);
    }
  }
  PD_ASSIGN_OR_RETURN(const FactBase* facts, source.load(roots));
  CheckReport report;
  report.input = path.string();
  report.kind = "file";
  report.identity = scanned.identity;
  CheckInput in{scanned.identity, scanned.recipes, scanned.fingerprint};
  report.verdict = decide(*facts, in);
  if (facts->artifact(scanned.identity.sha256))
    report.candidates.push_back(
        {{scanned.identity.sha256, facts->display_name(scanned.identity.sha256), "sha256"},
         "SHA-256 of the file",
         report.verdict});
  return report;
}

}  // namespace

Result<FileScanResult> scan_file_identity(const std::filesystem::path& path) {
  FileScanResult out;
  auto checkpoint = formats::open_checkpoint(path);
  std::optional<Error> why_not;
  if (!checkpoint) why_not = checkpoint.error();
  hash::HashOptions options;
  options.sets = hash::k_set_sha256 | hash::k_set_weights;
  PD_ASSIGN_OR_RETURN(
      auto hashes, hash::hash_checkpoint(path.string(), path, checkpoint ? &*checkpoint : nullptr,
                                         why_not, options));
  out.identity.input = path.string();
  out.identity.kind = "file";
  out.identity.sha256 = hashes.sha256.value_or("");
  out.identity.weights_hash = hashes.weights.value_or("");
  if (auto it = hashes.components.find("unet"); it != hashes.components.end())
    out.identity.unet_hash = it->second;
  if (checkpoint) out.recipes = recipes_of(*checkpoint);
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

Result<CheckReport> check_target(FactSource& source, std::string_view target) {
  std::filesystem::path path(target);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    PD_ASSIGN_OR_RETURN(auto st, stat_file(path));
    if (st.is_regular) {
      PD_ASSIGN_OR_RETURN(auto file, File::open_read(path));
      std::uint8_t head[16] = {};
      PD_ASSIGN_OR_RETURN(auto got, file.read_some(0, head));
      if (detect_image_format(ByteView(head, got))) {
        if (file.size() > k_max_image_bytes)
          return invalid_argument(path.string() + ": image larger than " +
                                  std::to_string(k_max_image_bytes) + " bytes");
        PD_ASSIGN_OR_RETURN(auto map, MappedFile::open(path));
        return check_image(source, path, map.bytes());
      }
    }
    return check_file(source, path);
  }
  if (target.find('/') != std::string_view::npos)
    return not_found(std::string(target) + ": no such file");
  PD_ASSIGN_OR_RETURN(Resolution r, source.resolve(target));
  CheckReport report;
  report.input = std::string(target);
  report.kind = r.kind;
  report.identity.input = r.input;
  report.identity.kind = r.kind;
  PD_ASSIGN_OR_RETURN(report.candidates,
                      decide_candidates(source, r, r.kind == "hash" ? "pasted hash" : "name"));
  if (report.candidates.empty()) {
    PD_ASSIGN_OR_RETURN(report.verdict, unresolved(source, r.input, r.kind));
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
