#include "pedigree/lineage/check.hpp"

#include <algorithm>

#include "pedigree/fingerprint/builder.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/recipes.hpp"
#include "pedigree/hash/hash_file.hpp"
#include "pedigree/lineage/fingerprint_evidence.hpp"
#include "pedigree/lineage/image_service.hpp"
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
  if (auto service = novelai_service(meta)) {
    if (meta.models.empty()) {  // NovelAI's service writes no local generator's parameters
      report.verdict = novelai_service_verdict(*service);
      report.image = std::move(meta);
      return report;
    }
    report.notes.push_back("the picture's Software/Source name NovelAI's service (" +
                           service->source +
                           "), but it also carries a local generator's metadata: the service "
                           "marker is not used");
  }
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

// Reference bootstrap: when the scanned file IS a reference model (by SHA-256
// or weights hash), store its fingerprint locally when the ledger has none,
// or check it against the ledger's fingerprint event when it has one.
void bootstrap_references(const FileScanResult& scanned, const std::vector<std::string>& same,
                          std::vector<ReferenceModel>& refs, const CheckOptions& options,
                          CheckReport& report) {
  if (!scanned.sketch) return;
  for (auto& ref : refs) {
    if (std::find(same.begin(), same.end(), ref.sha256) == same.end()) continue;
    const std::string who = ref.name + " (" + std::string(role_name(ref.role)) + ")";
    if (ref.fingerprint) {
      // Events and .fp files hold the serialized form: compare in that form.
      bool same_fp =
          fingerprint::serialize(*ref.fingerprint) == fingerprint::serialize(*scanned.sketch);
      report.notes.push_back("this file is the reference " + who + "; its fingerprint " +
                             (same_fp ? "matches" : "DIFFERS from") + " the known one (" +
                             ref.fingerprint_origin + ")");
      continue;
    }
    ref.fingerprint = fingerprint::quantized(*scanned.sketch);
    auto saved = options.references.save(ref.sha256, *ref.fingerprint);
    if (!saved) {
      report.notes.push_back("could not store the fingerprint of " + who + ": " +
                             saved.error().message());
    } else if (!saved->empty()) {
      ref.fingerprint_origin = "local " + saved->string();
      report.notes.push_back("this file is the reference " + who +
                             ": its fingerprint is stored as that reference "
                             "in " +
                             saved->string() +
                             " (later checks of merges use it); share it with everyone: "
                             "`pedigree attest fingerprint " +
                             scanned.identity.input + "`");
    }
  }
}

// The fingerprint evidence of a scanned file that is not itself a reference.
void fingerprint_evidence(FileScanResult& scanned, const std::vector<std::string>& same,
                          const std::vector<ReferenceModel>& refs, CheckReport& report) {
  if (!scanned.sketch) {
    if (!scanned.sketch_error.empty())
      report.notes.push_back("no fingerprint: " + scanned.sketch_error);
    return;
  }
  for (const auto& ref : refs)
    if (std::find(same.begin(), same.end(), ref.sha256) != same.end()) return;  // identity decides
  auto evidence = estimate_nai_share(*scanned.sketch, refs);
  report.notes.push_back(evidence.note);
  scanned.fingerprint = evidence.result;
}

Result<CheckReport> check_file(FactSource& source, const std::filesystem::path& path,
                               const CheckOptions& options) {
  PD_ASSIGN_OR_RETURN(auto scanned, scan_file_identity(path, options.fingerprint, options.scan));
  std::vector<std::string> roots;
  if (!scanned.identity.sha256.empty()) roots.push_back(scanned.identity.sha256);
  std::vector<std::string> same = roots;  // artifacts this file is (by SHA-256 or weights)
  for (auto [kind, value] : {std::pair{"weights", scanned.identity.weights_hash},
                             std::pair{"unet", scanned.identity.unet_hash}}) {
    if (value.empty()) continue;
    PD_ASSIGN_OR_RETURN(auto shas, source.artifacts_with_hash(kind, value));
    roots.insert(roots.end(), shas.begin(), shas.end());
    if (std::string_view(kind) == "weights") same.insert(same.end(), shas.begin(), shas.end());
  }
  for (auto& r : scanned.recipes) {
    if (!looks_like_hash(r.parent) || r.parent.size() < 10) continue;  // AutoV1 is too weak
    PD_ASSIGN_OR_RETURN(auto res, source.resolve(r.parent));
    if (res.candidates.size() == 1) {
      r.resolved = res.candidates[0].sha256;
      roots.push_back(r.resolved);
    }
  }
  CheckReport report;
  if (scanned.sketch || !scanned.sketch_error.empty()) {
    PD_ASSIGN_OR_RETURN(auto refs, source.reference_models());
    bootstrap_references(scanned, same, refs, options, report);
    fingerprint_evidence(scanned, same, refs, report);
  }
  PD_ASSIGN_OR_RETURN(const FactBase* facts, source.load(roots));
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

Result<FileScanResult> scan_file_identity(const std::filesystem::path& path, FingerprintPass pass,
                                          const scan::ScanOptions& scan) {
  FileScanResult out;
  auto checkpoint = formats::open_checkpoint(path);
  std::optional<Error> why_not;
  if (!checkpoint) why_not = checkpoint.error();
  hash::HashOptions options;
  options.sets = hash::k_set_sha256 | hash::k_set_weights;
  options.scan = scan;
  // The fingerprint builder is one more sink of the hashing pass: one read of the file.
  std::optional<fingerprint::FingerprintBuilder> builder;
  if (pass == FingerprintPass::k_build && checkpoint) {
    auto plan = fingerprint::plan_checkpoint(*checkpoint);
    if (plan)
      builder.emplace(std::move(*plan));
    else
      out.sketch_error = plan.error().message();
  } else if (pass == FingerprintPass::k_build) {
    out.sketch_error = why_not ? why_not->message() : "not a checkpoint";
  }
  if (builder) options.extra_tensor_sinks.push_back(&*builder);
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
  if (builder) {
    auto fp = builder->finish();
    if (fp && !fp->tensors.empty())
      out.sketch = std::move(*fp);
    else
      out.sketch_error = fp ? "no tensor to fingerprint" : fp.error().message();
  }
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

Result<Resolution> resolve_target(FactSource& source, std::string_view target) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(target), ec)) {
    if (target.find('/') != std::string_view::npos)
      return not_found(std::string(target) + ": no such file");
    return source.resolve(target);
  }
  PD_ASSIGN_OR_RETURN(auto scanned, scan_file_identity(std::filesystem::path(target)));
  PD_ASSIGN_OR_RETURN(Resolution r, source.resolve(scanned.identity.sha256));
  r.input = std::string(target);
  r.kind = "file";
  if (r.candidates.empty() && !scanned.identity.weights_hash.empty()) {
    PD_ASSIGN_OR_RETURN(auto same,
                        source.artifacts_with_hash("weights", scanned.identity.weights_hash));
    PD_ASSIGN_OR_RETURN(const FactBase* facts, source.load(same));
    for (const auto& sha : same) r.candidates.push_back({sha, facts->display_name(sha), "weights"});
  }
  return r;
}

Result<CheckReport> check_target(FactSource& source, std::string_view target,
                                 const CheckOptions& options) {
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
    return check_file(source, path, options);
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
