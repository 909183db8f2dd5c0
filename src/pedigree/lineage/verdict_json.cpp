#include "pedigree/lineage/verdict_json.hpp"

#include <algorithm>

namespace pedigree::lineage {
namespace {

using nlohmann::json;

json share_json(const std::optional<ShareEstimate>& s) {
  if (!s) return nullptr;
  return {{"estimate", s->estimate}, {"low", s->low}, {"high", s->high}};
}

json realigned_json(const std::optional<UnitRealignment>& r) {
  if (!r) return nullptr;
  return {
      {"base", r->base},           {"confident", r->confident},         {"units", r->units},
      {"moved", r->moved},         {"rescaled", r->rescaled},           {"flipped", r->flipped},
      {"ambiguous", r->ambiguous}, {"weakest_match", r->weakest_match}, {"summary", r->summary}};
}

// Null without an EMA copy; else the UNet's and its EMA copy's outcomes.
json copies_json(const std::vector<FingerprintCopy>& copies) {
  if (copies.empty()) return nullptr;
  json out = json::array();
  for (const auto& c : copies)
    out.push_back({{"component", c.component},
                   {"outcome", fingerprint_outcome_name(c.outcome)},
                   {"share", share_json(c.share)},
                   {"summary", c.summary}});
  return out;
}

json fingerprint_json(const std::optional<FingerprintResult>& f) {
  if (!f) return nullptr;
  json reasons = json::array();
  for (const auto& r : f->reasons) reasons.push_back({{"code", r.code}, {"detail", r.detail}});
  const FingerprintCoverage& c = f->coverage;
  json coverage = {{"unet_params", c.unet_params},
                   {"unet_tensors", c.unet_tensors},
                   {"reference_tensors", c.reference_tensors},
                   {"missing_tensors", c.missing_tensors},
                   {"shape_mismatch_tensors", c.shape_mismatch_tensors},
                   {"scan", nullptr}};
  if (c.scanned)
    coverage["scan"] = {{"sd1_unet_params", c.sd1_params},
                        {"unet_tensors_present", c.unet_tensors_present},
                        {"unet_tensors_sketched", c.unet_tensors_sketched},
                        {"skipped", c.skipped},
                        {"skipped_examples", c.skipped_examples}};
  return {{"outcome", fingerprint_outcome_name(f->outcome)},
          {"share", share_json(f->share)},
          {"detection_limit", f->detection_limit},
          {"reasons", reasons},
          {"coverage", coverage},
          {"alignment",
           {{"max_block_delta", f->max_block_delta},
            {"block", f->max_block.empty() ? json() : json(f->max_block)},
            {"base", f->aligned_base.empty() ? json() : json(f->aligned_base)},
            {"realigned", realigned_json(f->realigned)}}},
          {"fit", {{"r2", f->fit_r2}}},
          {"component", f->component},
          {"copies", copies_json(f->copies)}};
}

// The 26 coefficients of a block-weighted step, null when uniform or unknown.
json per_block(const PathStep& s) {
  if (!s.blocks || std::all_of(s.blocks->begin(), s.blocks->end(),
                               [&](double w) { return w == s.blocks->front(); }))
    return nullptr;
  return *s.blocks;
}

json path_json(const NaiPath& p) {
  json steps = json::array();
  for (const auto& s : p.steps)
    steps.push_back({{"sha256", s.sha256},
                     {"name", s.name},
                     {"relation", s.relation.empty() ? json() : json(s.relation)},
                     {"weight", s.weight ? json(*s.weight) : json()},
                     {"block_weights", per_block(s)},
                     {"status", event_status_name(s.status)},
                     {"event", s.event_id.empty() ? json() : json(s.event_id)}});
  return {{"steps", steps},
          {"product", p.product ? json(*p.product) : json()},
          {"root_role", role_name(p.root_role)}};
}

json configuration_json(const std::optional<FingerprintConfiguration>& c) {
  if (!c) return nullptr;
  return {
      {"nuisance_references", c->nuisance},        {"nuisance_duplicates", c->nuisance_duplicates},
      {"projection_rank", c->projection_rank},     {"thresholds", c->thresholds},
      {"overall_threshold", c->overall_threshold}, {"block_threshold", c->block_threshold}};
}

json verdict_body(const Verdict& v) {
  json paths = json::array(), ignored = json::array(), evidence = json::array();
  json subtracted = json::array();
  for (const auto& p : v.ancestry.paths) paths.push_back(path_json(p));
  for (const auto& p : v.ancestry.subtracted_paths) subtracted.push_back(path_json(p));
  for (const auto& p : v.ancestry.ignored_paths) ignored.push_back(path_json(p));
  for (const auto& e : v.evidence)
    evidence.push_back({{"kind", e.kind},
                        {"strength", e.strength},
                        {"counts", e.counts},
                        {"says_nai", e.says_nai},
                        {"summary", e.summary},
                        {"event", e.event_id.empty() ? json() : json(e.event_id)},
                        {"signer", e.signer.empty() ? json() : json(e.signer)}});
  json components = json::array();
  for (const auto& c : v.components)
    components.push_back({{"component", c.component},
                          {"nai", c.nai},
                          {"summary", c.summary},
                          {"share", share_json(c.share)}});
  json references = json::array();
  for (const auto& r : v.references)
    references.push_back(
        {{"sha256", r.sha256},
         {"name", r.name},
         {"role", role_name(r.role)},
         {"used_for", r.used_for},
         {"event", r.event_id},
         {"signer", r.signer},
         {"signer_identity", r.signer_identity.empty() ? json() : json(r.signer_identity)}});
  json cycles = json::array();
  for (const auto& c : v.ancestry.cycles) cycles.push_back(c);
  return {{"verdict", verdict_name(v.verdict)},
          {"confidence", v.confidence},
          {"summary", v.summary},
          {"licence_note", v.licence_note.empty() ? json() : json(v.licence_note)},
          {"nai_relation", v.nai_relation.empty() ? json() : json(v.nai_relation)},
          {"nai_share",
           {{"declared", share_json(v.declared_share)},
            {"fingerprint", share_json(v.fingerprint_share)},
            {"disagree", v.shares_disagree}}},
          {"fingerprint", fingerprint_json(v.fingerprint)},
          {"fingerprint_configuration", configuration_json(v.fingerprint_configuration)},
          {"paths", paths},
          {"subtracted_paths", subtracted},
          {"ignored_paths", ignored},
          {"ancestry_complete", v.ancestry.complete},
          {"unknown_roots", v.ancestry.unknown_roots},
          {"cycles", cycles},
          {"evidence", evidence},
          {"components", components},
          {"references", references},
          {"unknowns", v.next_steps},
          {"licence",
           {{"commercial_use", v.licence.commercial_use},
            {"reasons", v.licence.reasons},
            {"licences", v.licence.licences}}}};
}

}  // namespace

nlohmann::json to_json(const CheckReport& r) {
  json out = {{"schema", "pedigree-check/1"}};
  const auto& t = r.identity;
  out["target"] = {{"input", r.input},
                   {"kind", r.kind},
                   {"sha256", t.sha256.empty() ? json() : json(t.sha256)},
                   {"matched_by", t.matched_by.empty() ? json() : json(t.matched_by)},
                   {"weak_match", t.weak_match},
                   {"weights", t.weights_hash.empty() ? json() : json(t.weights_hash)},
                   {"unet", t.unet_hash.empty() ? json() : json(t.unet_hash)}};
  out.update(verdict_body(r.verdict));
  json candidates = json::array();
  for (const auto& c : r.candidates)
    candidates.push_back(
        {{"sha256", c.candidate.sha256},
         {"name", c.candidate.name},
         {"matched_by", c.candidate.matched_by},
         {"via", c.via},
         {"trusted", c.candidate.trusted},
         {"named_by_event",
          c.candidate.named_by.event_id.empty() ? json() : json(c.candidate.named_by.event_id)},
         {"verdict", verdict_name(c.verdict.verdict)},
         {"confidence", c.verdict.confidence}});
  out["candidates"] = candidates;
  json resources = json::array();
  for (const auto& res : r.resources) {
    json paths = json::array();
    for (const auto& p : res.verdict.ancestry.paths) paths.push_back(path_json(p));
    const auto& m = res.resource;
    resources.push_back(
        {{"role", m.role},
         {"name", m.name.empty() ? json() : json(m.name)},
         {"hash", m.hash.empty() ? json() : json(m.hash)},
         {"air", m.air.empty() ? json() : json(m.air)},
         {"via", m.origin},
         {"sha256", res.sha256.empty() ? json() : json(res.sha256)},
         {"artifact", res.artifact_name.empty() ? json() : json(res.artifact_name)},
         {"verdict", verdict_name(res.verdict.verdict)},
         {"confidence", res.verdict.confidence},
         {"nai_relation",
          res.verdict.nai_relation.empty() ? json() : json(res.verdict.nai_relation)},
         {"summary", res.verdict.summary},
         {"commercial_use", res.verdict.licence.commercial_use},
         {"paths", paths},
         {"unknowns", res.verdict.next_steps}});
  }
  out["resources"] = resources;
  out["notes"] = r.notes;
  json checks = json::array();
  for (const auto& c : r.fingerprint_checks) {
    const bool published = c.origin.rfind("event ", 0) == 0;
    checks.push_back({{"sha256", c.sha256},
                      {"name", c.name.empty() ? json() : json(c.name)},
                      {"published", published},
                      {"event", published ? json(c.origin.substr(6)) : json()},
                      {"origin", c.origin},
                      {"matches", c.matches}});
  }
  out["fingerprint_checks"] = checks;
  json declared = json::array();
  for (const auto& d : r.declared_hashes)
    declared.push_back({{"key", d.key},
                        {"declared", d.declared},
                        {"kind", d.kind},
                        {"computed", d.computed.empty() ? json() : json(d.computed)},
                        {"matches", d.matches}});
  out["declared_hashes"] = declared;
  json hint_list = json::array();
  for (const auto& f : r.hints) {
    json h = hints::to_json(f.hint);
    h["matched_by"] = f.matched_by;
    h["file"] = f.file.empty() ? json() : json(f.file);
    h["sha256"] = f.sha256.empty() ? json() : json(f.sha256);
    h["names_nai"] = f.names_nai;
    h["nai_via"] = f.nai_via.empty() ? json() : json(f.nai_via);
    hint_list.push_back(std::move(h));
  }
  out["hints"] = hint_list;
  if (r.image) {
    json models = json::array();
    for (const auto& m : r.image->models)
      models.push_back({{"hash", m.hash},
                        {"name", m.name},
                        {"origin", m.origin},
                        {"role", m.role},
                        {"air", m.air.empty() ? json() : json(m.air)}});
    out["image"] = {{"format", pictures::image_format_name(r.image->format)},
                    {"models", models},
                    {"software", r.image->software.empty() ? json() : json(r.image->software)},
                    {"source", r.image->source.empty() ? json() : json(r.image->source)},
                    {"warnings", r.image->warnings}};
  } else {
    out["image"] = nullptr;
  }
  return out;
}

}  // namespace pedigree::lineage
