#include "pedigree/lineage/hint_evidence.hpp"

#include "pedigree/lineage/check.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::lineage {
namespace {

bool is_nai(VerdictClass v) {
  return v == VerdictClass::k_nai_leak || v == VerdictClass::k_nai_official ||
         v == VerdictClass::k_nai;
}

// Whether the base `name` a hint gives is a NAI model: by its name, or by
// what the ledger's signed facts say of it (an HF repository, an AIR or a
// name resolved as `check` resolves it, without hints: no loops).
Result<std::string> nai_via(FactSource& source, const hints::Hint& hint, const std::string& name) {
  if (to_lower_ascii(name).find("novelai") != std::string::npos) return "its name says NovelAI";
  // Civitai's baseModel is a family label ("SD 1.5"), not a model identity.
  if (hint.site != "huggingface") return "";
  auto id = hash::classify_identifier("hf:" + name);
  const std::string target =
      id && id->kind == hash::IdentifierKind::k_hf_repo ? "hf:" + name : name;
  auto checked = check_identifier(source, target, {});
  if (!checked) return "";  // a base the ledger cannot read says nothing either way
  if (!is_nai(checked->verdict.verdict)) return "";
  return "the ledger's verdict for it is " + std::string(verdict_name(checked->verdict.verdict));
}

std::string describe(const HintFinding& f) {
  const auto& h = f.hint;
  std::string text = "unsigned hint from " + h.site + " (imported " + h.imported + " from " +
                     h.document + "): " + (h.title.empty() ? "a model" : h.title);
  if (!f.file.empty()) text += ", file " + f.file;
  text += " (matched by " + f.matched_by + ")";
  if (!h.base_models.empty()) {
    text += "; base model";
    for (std::size_t i = 0; i < h.base_models.size(); ++i)
      text += (i ? ", " : " ") + h.base_models[i];
    if (!h.relation.empty()) text += " (" + h.relation + ")";
  }
  if (f.names_nai) text += ": names NAI (" + f.nai_via + ")";
  return text;
}

// A would-be clean verdict that a hint contradicts: unknown, with the reason.
void fail_closed(const HintFinding& f, Verdict& v) {
  v.verdict = VerdictClass::k_unknown;
  v.confidence = 0;
  v.nai_relation.clear();
  v.summary = "signed evidence finds no NAI, but an unsigned hint from " + f.hint.site +
              " names a NAI model as its base (" + f.nai_via +
              "): not clean until signed lineage decides";
  v.next_steps.insert(v.next_steps.begin(),
                      "resolve the " + f.hint.site +
                          " hint: ask the author to attest the lineage (`pedigree attest "
                          "lineage`), or attest a claim after checking the weights");
  for (auto& c : v.components)
    if (c.component == "unet" && c.nai == "no") {
      c.nai = "unknown";
      c.summary = "an unsigned hint names a NAI base; " + c.summary;
    }
  v.licence.commercial_use = "unknown";
  v.licence.reasons.push_back("an unsigned hint from " + f.hint.site +
                              " names a NAI model as the base: the ancestry is in doubt");
}

}  // namespace

Result<void> apply_hints(FactSource& source, const std::vector<hints::HintMatch>& matches,
                         CheckReport& report) {
  for (const auto& m : matches) {
    HintFinding f{*m.hint, m.matched_by, m.file, "", false, ""};
    // A version or repository match names no file: the hint's first file stands for it.
    if (f.file.empty() && !m.hint->files.empty()) f.file = m.hint->files.front().name;
    for (const auto& file : m.hint->files)
      if (file.name == f.file)
        if (auto it = file.hashes.find("sha256"); it != file.hashes.end()) f.sha256 = it->second;
    for (const auto& base : m.hint->base_models) {
      PD_ASSIGN_OR_RETURN(f.nai_via, nai_via(source, *m.hint, base));
      if (!f.nai_via.empty()) {
        f.names_nai = true;
        break;
      }
    }
    Verdict& v = report.verdict;
    v.evidence.push_back({"hint", "ignored", false, f.names_nai, describe(f), "", ""});
    if (f.names_nai && v.verdict == VerdictClass::k_no_nai_found)
      fail_closed(f, v);
    else if (f.names_nai && v.verdict == VerdictClass::k_unknown)
      v.next_steps.push_back("an unsigned hint from " + f.hint.site +
                             " names a NAI model as its "
                             "base (" +
                             f.nai_via + "): signed lineage would decide");
    if (v.verdict == VerdictClass::k_unknown && !f.sha256.empty() &&
        f.sha256 != report.identity.sha256)
      v.next_steps.push_back("an unsigned hint from " + f.hint.site + " says this is " +
                             f.hint.title + " (" + f.file + ", SHA-256 " + f.sha256 +
                             "): check that file, or `pedigree check " + f.sha256 + "`");
    report.hints.push_back(std::move(f));
  }
  return {};
}

}  // namespace pedigree::lineage
