#include "pedigree/lineage/licence.hpp"

#include <deque>
#include <set>

#include "pedigree/lineage/verdict.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::lineage {
namespace {

constexpr std::size_t k_max_walk = 20000;  // as IndexSource loads at most

enum class LicenceKind { k_commercial, k_openrail, k_non_commercial, k_unrecognised };

// Recognises a licence by its SPDX-like name, case-insensitively. Only an exact
// name (surrounding spaces and quotes ignored) counts as a known licence that
// allows commercial use or as OpenRAIL: a substring test would read "mit" in
// "not permitted" as MIT. Any non-commercial marker anywhere makes it
// non-commercial (the careful reading); everything else is unrecognised, which
// keeps commercial_use unknown.
LicenceKind licence_kind_of(const std::string& licence) {
  std::string l = to_lower_ascii(licence);
  for (std::string_view nc : {"-nc", " nc", "non-commercial", "noncommercial", "non commercial"})
    if (l.find(nc) != std::string::npos) return LicenceKind::k_non_commercial;
  const auto first = l.find_first_not_of(" \t\"'");
  const auto last = l.find_last_not_of(" \t\"'");
  l = first == std::string::npos ? std::string() : l.substr(first, last - first + 1);
  for (std::string_view rail : {"openrail", "openrail-m", "openrail++", "creativeml-openrail-m",
                                "creativeml openrail-m", "creativeml openrail m"})
    if (l == rail) return LicenceKind::k_openrail;
  for (std::string_view ok :
       {"apache-2.0", "apache 2.0", "apache", "mit", "bsd-2-clause", "bsd-3-clause", "bsd", "cc0",
        "cc0-1.0", "cc-by-4.0", "cc by 4.0", "cc-by-sa-4.0", "cc by-sa 4.0", "unlicense"})
    if (l == ok) return LicenceKind::k_commercial;
  return LicenceKind::k_unrecognised;
}

// A licence of `sha` from its trusted model events, "" when none declares one.
std::string trusted_licence(const FactBase& facts, const std::string& sha) {
  const ArtifactFacts* a = facts.artifact(sha);
  if (!a) return "";
  for (const auto& m : a->models)
    if (m.from.status == EventStatus::k_trusted && !m.license.empty()) return m.license;
  return "";
}

// The target and its trusted ancestors, breadth first.
std::vector<std::string> trusted_lineage(const FactBase& facts, const std::string& target) {
  std::vector<std::string> out;
  std::set<std::string> seen{target};
  std::deque<std::string> queue{target};
  while (!queue.empty() && out.size() < k_max_walk) {
    std::string sha = std::move(queue.front());
    queue.pop_front();
    out.push_back(sha);
    for (const Edge* e : facts.parents_of(sha))
      if (e->from.status == EventStatus::k_trusted && seen.insert(e->parent).second)
        queue.push_back(e->parent);
  }
  return out;
}

void not_allowed_for_nai(const Verdict& v, LicenceFinding& out) {
  const bool trained = v.nai_relation == k_relation_trained_on;
  switch (v.verdict) {
    case VerdictClass::k_nai_leak:
      out.reasons.push_back(
          std::string(trained ? "trained on NAI weights from the leaked files"
                              : "carries NAI weights from the leaked files") +
          ": NovelAI never licensed them (no licence at all; NovelAI asked users not to use "
          "leaked models)");
      break;
    case VerdictClass::k_nai_official:
      out.reasons.push_back(
          "derives from NovelAI's licensed release: CC BY-NC-SA 4.0 and CreativeML OpenRAIL-M "
          "apply together, so use is non-commercial only, with attribution to NovelAI and "
          "derivatives under the same terms");
      break;
    default:
      out.reasons.push_back(
          "derives from NAI, from the leak (no licence at all) or from the licensed release "
          "(non-commercial only): neither allows commercial use");
  }
}

}  // namespace

LicenceFinding licence_finding(const FactBase& facts, const Verdict& v,
                               const std::string& target_sha256,
                               const std::string& declared_by_file) {
  LicenceFinding out;
  const bool nai = v.verdict == VerdictClass::k_nai_leak ||
                   v.verdict == VerdictClass::k_nai_official || v.verdict == VerdictClass::k_nai;
  if (nai) {
    out.commercial_use = "not-allowed";
    not_allowed_for_nai(v, out);
  }
  std::vector<std::string> lineage;
  if (!target_sha256.empty()) lineage = trusted_lineage(facts, target_sha256);
  std::vector<std::string> unlicensed;
  bool openrail = false, non_commercial = false;
  auto take = [&](const std::string& who, const std::string& licence, const std::string& source) {
    out.licences.push_back(who + ": " + licence + " (" + source + ")");
    switch (licence_kind_of(licence)) {
      case LicenceKind::k_non_commercial:
        non_commercial = true;
        out.reasons.push_back(who + " is licensed " + licence + ": non-commercial");
        break;
      case LicenceKind::k_openrail: openrail = true; break;
      case LicenceKind::k_commercial: break;
      case LicenceKind::k_unrecognised: unlicensed.push_back(who + " (" + licence + ")"); break;
    }
  };
  if (!declared_by_file.empty()) take("the file", declared_by_file, "its modelspec.license");
  for (const auto& sha : lineage) {
    std::string licence = trusted_licence(facts, sha);
    if (!licence.empty())
      take(facts.display_name(sha), licence, "trusted model event");
    else if (!(sha == target_sha256 && !declared_by_file.empty()))
      unlicensed.push_back(facts.display_name(sha));
  }
  if (non_commercial) out.commercial_use = "not-allowed";
  if (nai || non_commercial) return out;
  if (v.verdict != VerdictClass::k_no_nai_found) {
    out.reasons.push_back(
        "NAI is not ruled out: if the model carries NAI weights, no licence allows commercial use");
    return out;
  }
  if (lineage.empty() && declared_by_file.empty()) {
    out.reasons.emplace_back("no licence of the model or its ancestors is recorded");
    return out;
  }
  if (!unlicensed.empty() || !v.ancestry.complete) {
    std::string list;
    for (const auto& u : unlicensed) list += (list.empty() ? "" : ", ") + u;
    out.reasons.push_back(list.empty()
                              ? std::string("the declared ancestry is incomplete: unknown licences")
                              : "no recognised licence is recorded for " + list);
    return out;
  }
  out.commercial_use = "allowed";
  out.reasons.push_back(
      openrail
          ? "every model in the known ancestry is under a licence that permits commercial "
            "use; CreativeML OpenRAIL-M's use restrictions (its Attachment A) bind every "
            "use and pass on to derivatives and outputs' users"
          : "every model in the known ancestry is under a licence that permits commercial use");
  return out;
}

LicenceFinding combine_licences(const std::vector<const LicenceFinding*>& parts,
                                const std::vector<std::string>& labels) {
  LicenceFinding out;
  out.commercial_use = "allowed";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = *parts[i];
    if (p.commercial_use == "not-allowed") out.commercial_use = "not-allowed";
    if (p.commercial_use == "unknown" && out.commercial_use == "allowed")
      out.commercial_use = "unknown";
    for (const auto& r : p.reasons) out.reasons.push_back(labels[i] + ": " + r);
    for (const auto& l : p.licences) out.licences.push_back(l);
  }
  if (parts.empty()) {
    out.commercial_use = "unknown";
    out.reasons.emplace_back("the picture names no model");
  }
  return out;
}

}  // namespace pedigree::lineage
