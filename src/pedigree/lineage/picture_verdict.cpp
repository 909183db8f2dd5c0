#include "pedigree/lineage/picture_verdict.hpp"

#include <algorithm>

namespace pedigree::lineage {
namespace {

bool carries_nai(VerdictClass v) {
  return v == VerdictClass::k_nai_leak || v == VerdictClass::k_nai ||
         v == VerdictClass::k_nai_official;
}

// Severity among NAI classes: the leak first, then undetermined, then the licensed release.
int severity(VerdictClass v) {
  switch (v) {
    case VerdictClass::k_nai_leak: return 3;
    case VerdictClass::k_nai: return 2;
    case VerdictClass::k_nai_official: return 1;
    default: return 0;
  }
}

std::string label(const ResourceVerdict& r) {
  std::string name = r.resource.name;
  if (name.empty()) name = !r.artifact_name.empty() ? r.artifact_name : r.resource.hash;
  if (name.empty()) name = r.resource.air;
  return resource_role_label(r.resource.role) + " " + name;
}

// One evidence line per resource, so the picture's report lists them all.
Evidence resource_evidence(const ResourceVerdict& r) {
  const Verdict& v = r.verdict;
  std::string summary = label(r) + " (" + r.resource.origin + ") -> " +
                        std::string(verdict_name(v.verdict)) + ": " + v.summary;
  return {"resource",
          carries_nai(v.verdict) ? "strong" : "moderate",
          v.verdict != VerdictClass::k_unknown,
          carries_nai(v.verdict),
          std::move(summary),
          "",
          ""};
}

}  // namespace

std::string resource_role_label(std::string_view role) {
  if (role == pictures::k_role_vae) return "VAE";
  if (role == pictures::k_role_lora) return "LoRA";
  return std::string(role);
}

Verdict unresolved_resource_verdict(const pictures::ImageModelReference& resource) {
  Verdict v;
  v.summary = "the ledger does not know this " + resource_role_label(resource.role);
  v.licence.reasons.emplace_back(
      "the ledger does not know it: its licence and ancestry are unknown");
  v.next_steps.push_back("check the " + resource_role_label(resource.role) + " file itself (" +
                         (resource.name.empty() ? resource.hash : resource.name) +
                         "): `pedigree check FILE`");
  return v;
}

Verdict combine_resources(const std::vector<ResourceVerdict>& resources) {
  std::vector<const ResourceVerdict*> nai, unknown;
  bool checkpoint = false;
  for (const auto& r : resources) {
    if (carries_nai(r.verdict.verdict)) nai.push_back(&r);
    if (r.verdict.verdict == VerdictClass::k_unknown) unknown.push_back(&r);
    checkpoint = checkpoint || r.resource.role == pictures::k_role_checkpoint;
  }
  Verdict out;
  if (!nai.empty()) {
    std::stable_sort(nai.begin(), nai.end(), [](const auto* a, const auto* b) {
      if (severity(a->verdict.verdict) != severity(b->verdict.verdict))
        return severity(a->verdict.verdict) > severity(b->verdict.verdict);
      return a->verdict.confidence > b->verdict.confidence;
    });
    out = nai.front()->verdict;  // its paths, shares, components and references
    // The picture carries NAI weights when any resource does.
    for (const auto* r : nai)
      if (r->verdict.nai_relation == "weights") out.nai_relation = "weights";
    std::string list;
    for (const auto* r : nai) {
      list += (list.empty() ? "" : "; ") + label(*r) + " (" +
              std::string(verdict_name(r->verdict.verdict)) +
              (r->verdict.nai_relation == k_relation_trained_on ? ", trained on NAI" : "") + ")";
      if (r == nai.front()) continue;
      for (const auto& p : r->verdict.ancestry.paths) out.ancestry.paths.push_back(p);
      if (out.licence_note.empty()) out.licence_note = r->verdict.licence_note;
    }
    out.summary = "the picture used NAI-carrying resources: " + list + ". " + label(*nai.front()) +
                  ": " + nai.front()->verdict.summary;
  } else if (!unknown.empty() || !checkpoint) {
    out.verdict = VerdictClass::k_unknown;
    std::string list;
    for (const auto* r : unknown) list += (list.empty() ? "" : ", ") + label(*r);
    out.summary = unknown.empty()
                      ? std::string("the picture names no checkpoint: what made it is unknown")
                      : std::to_string(unknown.size()) + " of " + std::to_string(resources.size()) +
                            " resources the picture names cannot be judged (" + list +
                            "): no NAI found in the others, which does not make the picture clean";
    for (const auto* r : unknown) {
      for (const auto& s : r->verdict.next_steps)
        if (std::find(out.next_steps.begin(), out.next_steps.end(), s) == out.next_steps.end())
          out.next_steps.push_back(s);
      // Why it cannot be judged (e.g. matched only through untrusted events).
      for (const auto& e : r->verdict.evidence) out.evidence.push_back(e);
    }
  } else {
    out.verdict = VerdictClass::k_no_nai_found;
    out.confidence = 1;
    for (const auto& r : resources) out.confidence = std::min(out.confidence, r.verdict.confidence);
    out.summary = "every resource the picture names (" + std::to_string(resources.size()) +
                  ") reads no-nai-found";
    out.ancestry.complete = true;
  }
  std::vector<const LicenceFinding*> licences;
  std::vector<std::string> labels;
  for (const auto& r : resources) {
    licences.push_back(&r.verdict.licence);
    labels.push_back(label(r));
  }
  out.licence = combine_licences(licences, labels);
  std::vector<Evidence> listed;
  for (const auto& r : resources) listed.push_back(resource_evidence(r));
  out.evidence.insert(out.evidence.begin(), listed.begin(), listed.end());
  return out;
}

}  // namespace pedigree::lineage
