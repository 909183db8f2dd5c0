#include "pedigree/lineage/check.hpp"

#include <algorithm>

#include "pedigree/examine/examine.hpp"
#include "pedigree/fingerprint/builder.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/inspect.hpp"
#include "pedigree/formats/names.hpp"
#include "pedigree/formats/recipes.hpp"
#include "pedigree/hash/hash_file.hpp"
#include "pedigree/hash/identifier.hpp"
#include "pedigree/lineage/ema_evidence.hpp"
#include "pedigree/lineage/fingerprint_evidence.hpp"
#include "pedigree/lineage/image_service.hpp"
#include "pedigree/lineage/picture_verdict.hpp"
#include "pedigree/lineage/realign.hpp"
#include "pedigree/lineage/upload_scan.hpp"
#include "pedigree/lineage/vae_evidence.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::lineage {
namespace {

// The references a fingerprint estimate used, as the verdict lists them.
void add_fingerprint_references(const std::vector<const ReferenceModel*>& used, Verdict& v) {
  for (const ReferenceModel* r : used)
    v.references.push_back(
        {r->sha256, r->name, r->role, "fingerprint", r->role_event, r->role_signer, ""});
}

// A component hash of `sha256` that its trusted model events agree on ("" otherwise).
std::string component_hash(const FactBase& facts, const std::string& sha256,
                           const std::string& kind) {
  const ArtifactFacts* a = facts.artifact(sha256);
  std::string value;
  if (!a) return value;
  for (const auto& m : a->models) {
    auto it = m.hashes.find(kind);
    if (m.from.status != EventStatus::k_trusted || it == m.hashes.end()) continue;
    if (!value.empty() && value != it->second) return "";  // trusted events disagree
    value = it->second;
  }
  return value;
}

// Weight evidence for a pasted hash or name: the fingerprint the ledger holds
// for the candidate (a trusted fingerprint event) against the references,
// exactly as for a scanned file. Nothing when the candidate is a reference
// itself (identity decides) or has no trusted fingerprint.
Result<std::optional<FingerprintEvidence>> stored_fingerprint_evidence(
    FactSource& source, const FactBase& facts, const std::string& sha256,
    std::vector<ReferenceModel>& refs) {
  const ArtifactFacts* a = facts.artifact(sha256);
  if (!a || !a->has_fingerprint || facts.role_of(sha256) != Role::k_none) return std::nullopt;
  PD_ASSIGN_OR_RETURN(auto stored, source.fingerprint_of(sha256));
  if (!stored) return std::nullopt;
  if (refs.empty()) {
    PD_ASSIGN_OR_RETURN(refs, source.reference_models());
  }
  for (const auto& ref : refs)
    if (ref.sha256 == sha256) return std::nullopt;
  FingerprintEvidence evidence = estimate_nai_share(stored->fingerprint, refs);
  evidence.note = "the ledger's fingerprint of " + facts.display_name(sha256) + " (" +
                  stored->origin + "): " + evidence.note;
  VaeEvidence vae = estimate_nai_vae_share(stored->fingerprint, refs);
  if (vae.result) evidence.note += "; " + vae.note;
  evidence.vae = std::move(vae.result);
  return evidence;
}

// Decides each candidate of a resolution (loading its neighbourhood first).
// Notes on the weight evidence used go to `notes`.
Result<std::vector<CandidateVerdict>> decide_candidates(FactSource& source, const Resolution& r,
                                                        const std::string& via,
                                                        std::vector<std::string>& notes) {
  std::vector<CandidateVerdict> out;
  std::vector<ReferenceModel> refs;  // read once, on first need
  for (const auto& c : r.candidates) {
    PD_ASSIGN_OR_RETURN(const FactBase* facts, source.load({c.sha256}));
    CheckInput in;
    in.target.input = r.input;
    in.target.kind = r.kind;
    in.target.sha256 = c.sha256;
    in.target.matched_by = c.matched_by;
    in.target.weak_match = r.weak;
    in.target.vae_hash = component_hash(*facts, c.sha256, "vae");
    in.target.text_encoder_hash = component_hash(*facts, c.sha256, "text_encoder");
    PD_ASSIGN_OR_RETURN(auto evidence, stored_fingerprint_evidence(source, *facts, c.sha256, refs));
    if (evidence) {
      notes.push_back(evidence->note);
      in.fingerprint = evidence->result;
      in.vae_share = evidence->vae;
    }
    if (!in.target.vae_hash.empty()) {
      // Load the references that share its VAE, so the VAE can be identified.
      PD_ASSIGN_OR_RETURN(auto carriers, source.artifacts_with_hash("vae", in.target.vae_hash));
      carriers.insert(carriers.begin(), c.sha256);
      PD_ASSIGN_OR_RETURN(facts, source.load(carriers));
    }
    Verdict v = decide(*facts, in);
    if (evidence && evidence->result) add_fingerprint_references(evidence->used, v);
    out.push_back({c, via, std::move(v)});
  }
  return out;
}

// Fills in who signed each reference the verdict used (best effort).
void name_signers(FactSource& source, Verdict& v) {
  for (auto& r : v.references)
    if (auto who = source.key_identity(r.signer)) r.signer_identity = *who;
}

// The verdict for an input that named nothing the ledger knows.
Result<Verdict> unresolved(FactSource& source, const std::string& input, const std::string& kind) {
  PD_ASSIGN_OR_RETURN(const FactBase* facts, source.load({}));
  CheckInput in;
  in.target.input = input;
  in.target.kind = kind;
  return decide(*facts, in);
}

// What a hash and a name written side by side (a picture's "Model hash" and
// "Model", a pasted settings line) denote: the hash first; when it names
// nothing trusted, the name too (untrusted matches of both are listed).
// A hash that is no hash at all is ignored (the name still resolves).
Result<Resolution> resolve_hash_or_name(FactSource& source, const std::string& hash_text,
                                        const std::string& name) {
  Resolution r;
  if (!hash_text.empty()) {
    auto id = hash::classify_identifier(hash_text);
    if (id && id->kind == hash::IdentifierKind::k_hash) {
      PD_ASSIGN_OR_RETURN(r, source.resolve(hash_text));
    }
  }
  if (r.trusted_count() > 0 || name.empty()) return r;
  PD_ASSIGN_OR_RETURN(Resolution by_name, source.resolve(name));
  if (r.candidates.empty()) {
    if (r.kind.empty()) return by_name;
    by_name.input = r.input;
    by_name.kind = r.kind;
    by_name.normalized = r.normalized;
    return by_name;
  }
  for (auto& c : by_name.candidates)
    if (std::none_of(r.candidates.begin(), r.candidates.end(),
                     [&](const Candidate& have) { return have.sha256 == c.sha256; }))
      r.candidates.push_back(std::move(c));
  std::stable_partition(r.candidates.begin(), r.candidates.end(),
                        [](const Candidate& c) { return c.trusted; });
  return r;
}

// Resolves and judges one resource a picture names; its candidates join the report's.
Result<ResourceVerdict> judge_resource(FactSource& source, const pictures::ImageModelReference& ref,
                                       CheckReport& report) {
  PD_ASSIGN_OR_RETURN(Resolution r, resolve_hash_or_name(source, ref.hash, ref.name));
  if (r.candidates.empty() && !ref.air.empty()) {
    if (auto air = hash::classify_identifier(ref.air);
        air && air->kind == hash::IdentifierKind::k_air) {
      PD_ASSIGN_OR_RETURN(r, source.resolve(ref.air));
    }
  }
  PD_ASSIGN_OR_RETURN(auto found, decide_candidates(source, r, ref.origin, report.notes));
  for (auto& c : found) name_signers(source, c.verdict);
  ResourceVerdict out{ref, r.kind, "", "", {}};
  if (found.empty()) {
    out.verdict = unresolved_resource_verdict(ref);
  } else {
    out.verdict = combine_candidates(found);
    if (r.trusted_count() == 1) {
      out.sha256 = found.front().candidate.sha256;
      out.artifact_name = found.front().candidate.name;
    }
  }
  report.candidates.insert(report.candidates.end(), found.begin(), found.end());
  return out;
}

Result<CheckReport> check_image(FactSource& source, const std::filesystem::path& path,
                                ByteView bytes) {
  CheckReport report;
  report.input = path.string();
  report.kind = "image";
  report.identity.input = path.string();
  report.identity.kind = "image";
  PD_ASSIGN_OR_RETURN(auto meta, pictures::read_image_metadata(bytes, path.string()));
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
    PD_ASSIGN_OR_RETURN(ResourceVerdict judged, judge_resource(source, ref, report));
    report.resources.push_back(std::move(judged));
  }
  if (report.resources.empty()) {
    PD_ASSIGN_OR_RETURN(report.verdict, unresolved(source, path.string(), "image"));
    report.verdict.next_steps.insert(report.verdict.next_steps.begin(),
                                     "the picture names no model (no A1111/Forge/Civitai "
                                     "parameters, no SwarmUI or ComfyUI loader)");
  } else {
    report.verdict = combine_resources(report.resources);
  }
  report.image = std::move(meta);
  return report;
}

// Events and .fp files hold the serialized form: compare in that form.
bool same_fingerprint(const fingerprint::Fingerprint& known, const fingerprint::Fingerprint& own) {
  return fingerprint::serialize(known) == fingerprint::serialize(own);
}

// A file that is not a reference but has a trusted fingerprint event for its
// SHA-256: say whether the file's own fingerprint matches the published one.
Result<void> check_published_fingerprint(FactSource& source, const FileScanResult& scanned,
                                         const std::vector<ReferenceModel>& refs,
                                         CheckReport& report) {
  const std::string& sha = scanned.identity.sha256;
  if (!scanned.sketch || sha.empty()) return {};
  for (const auto& ref : refs)
    if (ref.sha256 == sha) return {};  // bootstrap_references compared it
  PD_ASSIGN_OR_RETURN(auto stored, source.fingerprint_of(sha));
  if (!stored) return {};
  bool same_fp = same_fingerprint(stored->fingerprint, *scanned.sketch);
  report.notes.push_back(std::string("this file's fingerprint ") +
                         (same_fp ? "matches" : "DIFFERS from") + " the published one (" +
                         stored->origin + ")");
  report.fingerprint_checks.push_back({sha, "", stored->origin, same_fp});
  return {};
}

// Reference bootstrap: when the scanned file IS a reference model (by SHA-256
// or weights hash), store its fingerprint locally when the ledger has none,
// or check it against the ledger's fingerprint event when it has one.
void bootstrap_references(FactSource& source, const FileScanResult& scanned,
                          const std::vector<std::string>& same, std::vector<ReferenceModel>& refs,
                          const CheckOptions& options, CheckReport& report) {
  if (!scanned.sketch) return;
  for (auto& ref : refs) {
    if (std::find(same.begin(), same.end(), ref.sha256) == same.end()) continue;
    const std::string who = ref.name + " (" + std::string(role_name(ref.role)) + ")";
    if (!scanned.file.empty())
      if (auto note = bootstrap_unit_signatures(scanned.file, scanned.file_stat, ref, source,
                                                options.references);
          !note.empty())
        report.notes.push_back(note);
    if (ref.fingerprint) {
      bool same_fp = same_fingerprint(*ref.fingerprint, *scanned.sketch);
      report.notes.push_back("this file is the reference " + who + "; its fingerprint " +
                             (same_fp ? "matches" : "DIFFERS from") + " the known one (" +
                             ref.fingerprint_origin + ")");
      report.fingerprint_checks.push_back({ref.sha256, ref.name, ref.fingerprint_origin, same_fp});
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

// The fingerprint evidence of a scanned file that is not itself a reference;
// returns the references the estimate used.
std::vector<const ReferenceModel*> fingerprint_evidence(FactSource& source, FileScanResult& scanned,
                                                        const std::vector<std::string>& same,
                                                        const std::vector<ReferenceModel>& refs,
                                                        CheckReport& report) {
  if (!scanned.sketch) {
    if (!scanned.sketch_error.empty())
      report.notes.push_back("no fingerprint: " + scanned.sketch_error);
    return {};
  }
  for (const auto& ref : refs)
    if (std::find(same.begin(), same.end(), ref.sha256) != same.end()) return {};  // identity
  auto evidence = estimate_nai_share(*scanned.sketch, refs);
  if (!scanned.file.empty())
    evidence = realign_evidence(scanned.file, scanned.file_stat, *scanned.sketch,
                                std::move(evidence), refs, source);
  evidence = with_ema_copy(std::move(evidence), scanned.ema_sketch, scanned.ema_sketch_error, refs);
  report.notes.push_back(evidence.note);
  scanned.fingerprint = evidence.result;
  VaeEvidence vae = estimate_nai_vae_share(*scanned.sketch, refs);
  report.notes.push_back(vae.note);
  scanned.vae_share = std::move(vae.result);
  return evidence.result ? evidence.used : std::vector<const ReferenceModel*>();
}

// Self-declared hashes against the computed ones: a mismatch means the
// metadata (its recipes included) was written for other weights or edited.
void report_declared_hashes(const std::vector<DeclaredHashCheck>& checks, CheckReport& report) {
  for (const auto& d : checks) {
    std::string text =
        d.computed.empty()
            ? "the file declares " + d.key + " = " + d.declared +
                  " but its tensor-data hash (AutoV3) cannot be computed (not a safetensors file)"
        : d.matches ? "the file's " + d.key + " matches its computed tensor-data hash (AutoV3)"
                    : "the file's " + d.key + " = " + d.declared +
                          " does NOT match its computed tensor-data hash (AutoV3) " + d.computed +
                          ": its metadata, recipes included, was written for other weights or "
                          "edited";
    report.notes.push_back(text);
    if (!d.computed.empty() && !d.matches)
      report.verdict.evidence.push_back({"self-hash", "ignored", false, false, text, "", ""});
  }
  report.declared_hashes = checks;
}

Result<CheckReport> check_file(FactSource& source, const std::filesystem::path& path,
                               const CheckOptions& options) {
  PD_ASSIGN_OR_RETURN(auto scanned, scan_file_identity(path, options.fingerprint, options.scan));
  return check_scanned(source, std::move(scanned), path.string(), options);
}

}  // namespace

Result<CheckReport> check_scanned(FactSource& source, FileScanResult scanned,
                                  const std::string& input, const CheckOptions& options) {
  std::vector<std::string> roots;
  if (!scanned.identity.sha256.empty()) roots.push_back(scanned.identity.sha256);
  std::vector<std::string> same = roots;  // artifacts this file is (by SHA-256 or weights)
  for (auto [kind, value] : {std::pair{"weights", scanned.identity.weights_hash},
                             std::pair{"unet", scanned.identity.unet_hash},
                             std::pair{"vae", scanned.identity.vae_hash}}) {
    if (value.empty()) continue;
    PD_ASSIGN_OR_RETURN(auto shas, source.artifacts_with_hash(kind, value));
    roots.insert(roots.end(), shas.begin(), shas.end());
    if (std::string_view(kind) == "weights") same.insert(same.end(), shas.begin(), shas.end());
  }
  for (auto& r : scanned.recipes) {
    auto id = hash::classify_identifier(r.parent);
    if (!id || id->kind != hash::IdentifierKind::k_hash || id->weak())
      continue;  // AutoV1: too weak
    PD_ASSIGN_OR_RETURN(auto res, source.resolve(r.parent));
    // Only a trusted identity resolves a recipe's parent (never an untrusted prefix match).
    if (res.candidates.size() == 1 && res.candidates[0].trusted) {
      r.resolved = res.candidates[0].sha256;
      roots.push_back(r.resolved);
    }
  }
  CheckReport report;
  std::vector<ReferenceModel> refs;
  std::vector<const ReferenceModel*> used;  // into refs
  if (scanned.sketch || !scanned.sketch_error.empty()) {
    PD_ASSIGN_OR_RETURN(refs, source.reference_models());
    bootstrap_references(source, scanned, same, refs, options, report);
    used = fingerprint_evidence(source, scanned, same, refs, report);
    PD_TRY(check_published_fingerprint(source, scanned, refs, report));
  }
  PD_ASSIGN_OR_RETURN(const FactBase* facts, source.load(roots));
  report.input = input;
  report.kind = "file";
  report.identity = scanned.identity;
  CheckInput in{scanned.identity, scanned.recipes, scanned.fingerprint, scanned.vae_share};
  report.verdict = decide(*facts, in);
  report_declared_hashes(scanned.declared_hashes, report);
  add_fingerprint_references(used, report.verdict);
  name_signers(source, report.verdict);
  if (facts->artifact(scanned.identity.sha256))
    report.candidates.push_back({{scanned.identity.sha256,
                                  facts->display_name(scanned.identity.sha256),
                                  "sha256",
                                  true,
                                  {}},
                                 "SHA-256 of the file",
                                 report.verdict});
  if (options.hints)
    PD_TRY(apply_hints(source, options.hints->for_sha256(report.identity.sha256), report));
  return report;
}

Result<FileScanResult> scan_file_identity(const std::filesystem::path& path, FingerprintPass pass,
                                          const scan::ScanOptions& scan) {
  auto stat_before = stat_file(path);
  auto checkpoint = formats::open_checkpoint(path);
  std::optional<Error> why_not;
  if (!checkpoint) why_not = checkpoint.error();
  examine::ExamineOptions options;
  options.hashes.sets = hash::k_set_sha256 | hash::k_set_weights;
  // A file declaring its own tensor-data hash gets it computed in the same pass.
  std::vector<DeclaredHashCheck> declared;
  if (checkpoint)
    for (const char* key : {"modelspec.hash_sha256", "sshs_model_hash"})
      if (auto it = checkpoint->metadata.find(key); it != checkpoint->metadata.end())
        declared.push_back({key, it->second.substr(0, 200), "autov3", "", false});
  if (!declared.empty()) options.hashes.sets |= hash::k_set_autov3;
  options.hashes.scan = scan;
  // The fingerprint is built by the hashing pass: one read of the file.
  options.fingerprint = pass;
  std::string sketch_error;
  if (pass == FingerprintPass::k_build && !checkpoint)
    sketch_error = why_not ? why_not->message() : "not a checkpoint";
  std::optional<formats::Checkpoint> opened;
  if (checkpoint) opened = std::move(*checkpoint);
  PD_ASSIGN_OR_RETURN(auto examined,
                      examine::examine_opened(path, std::move(opened), why_not, options));
  std::optional<Result<fingerprint::Fingerprint>> built;
  if (examined.fingerprint)
    built = std::move(*examined.fingerprint);
  else if (examined.fingerprint_error)
    built = std::unexpected(*examined.fingerprint_error);
  const hash::ModelHashes& hashes = examined.hashes;
  FileScanResult result =
      file_scan_result(path.string(), hashes, examined.checkpoint ? &*examined.checkpoint : nullptr,
                       std::move(built), std::move(sketch_error));
  for (auto& d : declared) {
    d.computed = hashes.autov3.value_or("");
    std::string value = to_lower_ascii(d.declared);
    if (value.starts_with("0x")) value = value.substr(2);
    d.matches = !d.computed.empty() && value == d.computed;
  }
  result.declared_hashes = std::move(declared);
  result.file = path;
  if (stat_before) result.file_stat = *stat_before;
  if (examined.ema_fingerprint && !examined.ema_fingerprint->tensors.empty())
    result.ema_sketch = std::move(*examined.ema_fingerprint);
  else if (examined.ema_fingerprint_error)
    result.ema_sketch_error = examined.ema_fingerprint_error->message();
  return result;
}

namespace {

// The verdict over the trusted candidates only (see combine_candidates).
Verdict combine_trusted(const std::vector<const CandidateVerdict*>& trusted) {
  if (trusted.size() == 1) return trusted.front()->verdict;
  Verdict out = trusted.front()->verdict;
  for (const auto* c : trusted) {
    if (c->verdict.verdict != out.verdict) {
      Verdict unknown;
      unknown.summary = "the input matches " + std::to_string(trusted.size()) +
                        " artifacts that disagree; a collision cannot decide";
      unknown.next_steps.push_back("check the full SHA-256 or the file itself");
      unknown.licence.reasons.emplace_back(
          "the input matches artifacts that disagree: which one is meant is unknown");
      return unknown;
    }
    out.confidence = std::min(out.confidence, c->verdict.confidence);
  }
  out.summary =
      "all " + std::to_string(trusted.size()) + " matching artifacts agree: " + out.summary;
  return out;
}

// Why an untrusted candidate was listed and not used, as evidence that does not count.
Evidence untrusted_candidate_evidence(const CandidateVerdict& c) {
  const Provenance& p = c.candidate.named_by;
  std::string who = "events that do not count";
  if (!p.event_id.empty())
    who = (p.status == EventStatus::k_untrusted ? "an " : "a ") +
          std::string(event_status_name(p.status)) + " event";
  return {"resolution",
          "ignored",
          false,
          false,
          "the input matches " + c.candidate.sha256.substr(0, 12) + " (" + c.candidate.name +
              ", by " + c.candidate.matched_by + ") only through " + who +
              ": not used to resolve the target (it would read " +
              std::string(verdict_name(c.verdict.verdict)) + ")",
          p.event_id,
          p.signer};
}

}  // namespace

Verdict combine_candidates(const std::vector<CandidateVerdict>& candidates) {
  if (candidates.empty()) return Verdict{};
  std::vector<const CandidateVerdict*> trusted;
  for (const auto& c : candidates)
    if (c.candidate.trusted) trusted.push_back(&c);
  Verdict out;
  if (!trusted.empty()) {
    out = combine_trusted(trusted);
  } else {
    // Fail closed: what only an attacker's key says the input denotes decides nothing.
    out.summary =
        "the input matches only through events that do not count (untrusted or "
        "revoked signers): it names no artifact the trust policy vouches for";
    out.next_steps.push_back(
        "check the model file itself or its full SHA-256, or trust the naming key if you know "
        "its owner (`pedigree trust add KEYID`)");
    out.licence.reasons.emplace_back("no artifact the trust policy vouches for is named");
  }
  for (const auto& c : candidates)
    if (!c.candidate.trusted) out.evidence.push_back(untrusted_candidate_evidence(c));
  return out;
}

namespace {

// A target that does not exist but looks like a path (a '/' and no
// identifier form that holds one, such as a Hugging Face repo or a URL).
Result<void> not_a_missing_file(std::string_view target) {
  if (target.find('/') == std::string_view::npos) return {};
  auto id = hash::classify_identifier(target);
  if (id &&
      (id->kind == hash::IdentifierKind::k_air || id->kind == hash::IdentifierKind::k_hf_repo))
    return {};
  return not_found(std::string(target) + ": no such file");
}

}  // namespace

Result<Resolution> resolve_target(FactSource& source, std::string_view target) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(target), ec)) {
    PD_TRY(not_a_missing_file(target));
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
    for (const auto& sha : same)
      r.candidates.push_back({sha, facts->display_name(sha), "weights", true, {}});
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
      if (pictures::detect_image_format(ByteView(head, got))) {
        if (file.size() > k_max_image_bytes)
          return invalid_argument(path.string() + ": image larger than " +
                                  std::to_string(k_max_image_bytes) + " bytes");
        PD_ASSIGN_OR_RETURN(auto map, MappedFile::open(path));
        return check_image(source, path, map.bytes());
      }
    }
    return check_file(source, path, options);
  }
  // On the command line a '/' that names no file is a mistyped path, not a name.
  PD_TRY(not_a_missing_file(target));
  return check_identifier(source, target, options);
}

Result<CheckReport> check_picture(FactSource& source, std::string_view name, ByteView bytes) {
  if (bytes.size() > k_max_image_bytes)
    return invalid_argument(std::string(name) + ": image larger than " +
                            std::to_string(k_max_image_bytes) + " bytes");
  if (!pictures::detect_image_format(bytes.first(std::min<std::size_t>(bytes.size(), 16))))
    return invalid_argument(std::string(name) + ": not a PNG, JPEG or WebP picture");
  return check_image(source, std::filesystem::path(name), bytes);
}

Result<CheckReport> check_identifier(FactSource& source, std::string_view target,
                                     const CheckOptions& options) {
  PD_ASSIGN_OR_RETURN(const hash::Identifier id, hash::classify_identifier(target));
  // A pasted settings line names a model twice: its hash, and its name beside it.
  Resolution r;
  if (id.kind == hash::IdentifierKind::k_hash) {
    PD_ASSIGN_OR_RETURN(r, resolve_hash_or_name(source, std::string(target), id.name));
  } else {
    PD_ASSIGN_OR_RETURN(r, source.resolve(target));
  }
  CheckReport report;
  report.input = std::string(target);
  report.kind = r.kind;
  report.identity.input = r.input;
  report.identity.kind = r.kind;
  PD_ASSIGN_OR_RETURN(
      report.candidates,
      decide_candidates(source, r, r.kind == "hash" ? "pasted hash" : "name", report.notes));
  for (auto& c : report.candidates) name_signers(source, c.verdict);
  if (report.candidates.empty()) {
    PD_ASSIGN_OR_RETURN(report.verdict, unresolved(source, r.input, r.kind));
  } else {
    report.verdict = combine_candidates(report.candidates);
    if (r.trusted_count() == 1) {
      report.identity.sha256 = report.candidates[0].candidate.sha256;
      report.identity.matched_by = report.candidates[0].candidate.matched_by;
      report.identity.weak_match = r.weak;
    }
  }
  if (options.hints) PD_TRY(apply_hints(source, options.hints->for_identifier(id), report));
  return report;
}

}  // namespace pedigree::lineage
