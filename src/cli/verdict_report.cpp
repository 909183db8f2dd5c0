#include "cli/verdict_report.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/common.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/util/terminal_text.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::cli {
namespace {

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * share);
  return buf;
}

std::string number(double value) {  // a weight as written: 0.3, -0.5, 1
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string confidence(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  return buf;
}

std::string share_text(const lineage::ShareEstimate& s) {
  if (s.low == s.high) return percent(s.estimate);
  return percent(s.estimate) + " [" + percent(s.low) + ", " + percent(s.high) + "]";
}

std::string path_text(const lineage::NaiPath& p) {
  std::string out;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const auto& s = p.steps[i];
    if (i > 0) {  // appended piece by piece (g++ 12 warns falsely on "(" + string temporaries)
      out += " <-";
      out += terminal_safe(s.relation);
      if (s.weight) {
        out += '(';
        if (s.blocks && std::any_of(s.blocks->begin(), s.blocks->end(),
                                    [&](double w) { return w != s.blocks->front(); }))
          out += "blocks, mean ";
        out += number(*s.weight);
        out += ')';
      }
      out += "- ";
    }
    out += terminal_safe(s.name);
  }
  out += p.product ? "   (product " + percent(*p.product) + ")" : "   (a weight is undeclared)";
  return out;
}

void target_lines(const lineage::CheckReport& r, std::string& out) {
  const auto& t = r.identity;
  out += "  target:     " + terminal_safe(r.kind);
  if (r.candidates.size() == 1 && r.kind != "file" && r.candidates[0].candidate.trusted)
    out += " -> " + terminal_safe(r.candidates[0].candidate.name);
  if (ledger::is_placeholder_sha256(t.sha256))
    out += ", placeholder " + terminal_safe(t.sha256.substr(0, 32)) +
           "... (the file's SHA-256 is unknown)";
  else if (!t.sha256.empty())
    out += ", sha256 " + terminal_safe(t.sha256);
  if (!t.matched_by.empty() && t.matched_by != "sha256")
    out += " (matched by " + terminal_safe(t.matched_by) + (t.weak_match ? ", WEAK" : "") + ")";
  out += "\n";
  if (r.image && r.resources.empty())
    for (const auto& m : r.image->models)
      out += "  picture:    names " + (m.name.empty() ? std::string("?") : terminal_safe(m.name)) +
             (m.hash.empty() ? "" : " [" + terminal_safe(m.hash) + "]") + " (" +
             terminal_safe(m.origin) + ")\n";
}

// A picture's resources, each with its verdict and first path to NAI.
void resource_lines(const lineage::CheckReport& r, std::string& out) {
  if (r.resources.empty()) return;
  out += "resources the picture names:\n";
  for (const auto& res : r.resources) {
    const auto& m = res.resource;
    out += "  " + lineage::resource_role_label(m.role) + " " +
           (m.name.empty() ? std::string("?") : terminal_safe(m.name)) +
           (m.hash.empty() ? "" : " [" + terminal_safe(m.hash) + "]") + " -> " +
           to_upper_ascii(lineage::verdict_name(res.verdict.verdict)) + " " +
           confidence(res.verdict.confidence) + "  (" + terminal_safe(m.origin) + ")\n";
    if (!res.verdict.ancestry.paths.empty())
      out += "      " + path_text(res.verdict.ancestry.paths.front()) + "\n";
    else if (res.verdict.verdict == lineage::VerdictClass::k_unknown)
      out += "      " + terminal_safe(res.verdict.summary) + "\n";
  }
}

void evidence_lines(const lineage::Verdict& v, std::string& out) {
  if (v.evidence.empty()) return;
  out += "evidence:\n";
  for (const auto& e : v.evidence) {
    out += std::string("  ") + (e.counts ? (e.says_nai ? "+ " : "o ") : "x ") + "[" +
           terminal_safe(e.kind) + ", " + terminal_safe(e.strength) + "] " +
           terminal_safe(e.summary);
    if (!e.counts) out += "  {not counted}";
    if (!e.event_id.empty()) out += "  (event " + terminal_safe(e.event_id.substr(0, 12)) + ")";
    out += "\n";
  }
}

void component_lines(const lineage::Verdict& v, std::string& out) {
  if (v.components.empty()) return;
  out += "components:\n";
  for (const auto& c : v.components) {
    out += "  " + c.component + ": " + c.nai;
    if (c.share) out += " (NAI share " + share_text(*c.share) + ")";
    out += " - " + c.summary + "\n";
  }
}

// Who made each reference the verdict used a reference.
void reference_lines(const lineage::Verdict& v, std::string& out) {
  if (v.references.empty()) return;
  out += "references used (role defined by):\n";
  for (const auto& r : v.references) {
    out += "  " + r.name + " (" + std::string(lineage::role_name(r.role)) + ", " + r.used_for +
           "): event " + r.event_id.substr(0, 12) + ", signer " + r.signer.substr(0, 16);
    if (!r.signer_identity.empty()) out += " " + r.signer_identity;
    out += "\n";
  }
}

}  // namespace

int exit_code_for_verdict(lineage::VerdictClass verdict) {
  switch (verdict) {
    case lineage::VerdictClass::k_nai_leak: return k_exit_nai_leak;
    case lineage::VerdictClass::k_nai_official: return k_exit_nai_official;
    case lineage::VerdictClass::k_nai: return k_exit_nai;
    case lineage::VerdictClass::k_unknown: return k_exit_unknown;
    case lineage::VerdictClass::k_no_nai_found: return k_exit_ok;
  }
  return k_exit_unknown;
}

int exit_severity(int code) {
  switch (code) {
    case k_exit_ok: return 0;
    case k_exit_unknown: return 1;
    case k_exit_nai_official: return 2;
    case k_exit_nai: return 3;
    case k_exit_nai_leak: return 4;
    default: return 5;  // an error
  }
}

std::string format_check_report(const lineage::CheckReport& r) {
  const lineage::Verdict& v = r.verdict;
  std::string out = terminal_safe(r.input) + "\n";
  out += "  verdict:    " + to_upper_ascii(lineage::verdict_name(v.verdict)) + " (confidence " +
         confidence(v.confidence) + ")\n";
  out += "  summary:    " + terminal_safe(v.summary) + "\n";
  if (!v.licence_note.empty()) out += "  licence:    " + terminal_safe(v.licence_note) + "\n";
  out += "  commercial: " + to_upper_ascii(v.licence.commercial_use);
  if (!v.licence.reasons.empty()) out += " - " + terminal_safe(v.licence.reasons.front());
  out += "\n";
  for (std::size_t i = 1; i < v.licence.reasons.size(); ++i)
    out += "              " + terminal_safe(v.licence.reasons[i]) + "\n";
  target_lines(r, out);
  resource_lines(r, out);
  if (v.declared_share || v.fingerprint_share) {
    out += "  NAI share:  ";
    if (v.declared_share) out += "declared " + share_text(*v.declared_share);
    if (v.declared_share && v.fingerprint_share) out += "; ";
    if (v.fingerprint_share) out += "fingerprint " + share_text(*v.fingerprint_share);
    if (v.shares_disagree) out += "   ** DISAGREE **";
    out += "\n";
    // Add-difference recipes (A + (B - C) with B trained from C) add and subtract NAI
    // terms that cancel in the signed sum: a share near 0 must not read as "no NAI".
    const auto& a = v.ancestry;
    if (v.declared_share && v.declared_share->high < 0.005 && !a.paths.empty() &&
        !a.subtracted_paths.empty())
      out +=
          "              (added and subtracted NAI terms cancel in this signed sum; the weights\n"
          "              the recipe adds were still trained from NAI: see the paths below)\n";
  }
  const auto& anc = v.ancestry;
  if (!anc.paths.empty()) {
    out += "paths to NAI:\n";
    for (const auto& p : anc.paths) out += "  " + path_text(p) + "\n";
    if (anc.paths_truncated) out += "  ... (more paths not listed)\n";
  }
  if (!anc.subtracted_paths.empty()) {
    out += "subtracted terms (not paths to NAI; in the declared share with their sign):\n";
    for (const auto& p : anc.subtracted_paths) out += "  " + path_text(p) + "\n";
  }
  if (!anc.ignored_paths.empty()) {
    out += "paths to NAI through events that do not count:\n";
    for (const auto& p : anc.ignored_paths) out += "  " + path_text(p) + "\n";
  }
  evidence_lines(v, out);
  component_lines(v, out);
  reference_lines(v, out);
  const bool any_untrusted = std::any_of(r.candidates.begin(), r.candidates.end(),
                                         [](const auto& c) { return !c.candidate.trusted; });
  if (r.candidates.size() > 1 || any_untrusted) {
    out += "candidates (the input may denote any of these):\n";
    for (const auto& c : r.candidates)
      out += "  " + terminal_safe(c.candidate.sha256.substr(0, 12)) + "  " +
             terminal_safe(c.candidate.name) + "  (" + terminal_safe(c.candidate.matched_by) +
             ", " + terminal_safe(c.via) + ") -> " +
             std::string(lineage::verdict_name(c.verdict.verdict)) + " " +
             confidence(c.verdict.confidence) +
             (c.candidate.trusted ? "" : "  {UNTRUSTED: named only by events that do not count}") +
             "\n";
  }
  if (!r.hints.empty()) {
    out += "hints (UNSIGNED, from community sites; below every signed fact, never decisive):\n";
    for (const auto& f : r.hints) {
      out += "  " + terminal_safe(f.hint.site) + " (imported " + terminal_safe(f.hint.imported) +
             "): " + terminal_safe(f.hint.title) + ", matched by " + terminal_safe(f.matched_by);
      for (const auto& b : f.hint.base_models) out += "; base " + terminal_safe(b);
      if (!f.hint.relation.empty()) out += " (" + terminal_safe(f.hint.relation) + ")";
      if (f.names_nai) out += "  ** names NAI: " + terminal_safe(f.nai_via) + " **";
      out += "\n";
    }
  }
  if (!v.next_steps.empty()) {
    out += "unknown / to resolve:\n";
    for (const auto& s : v.next_steps) out += "  - " + terminal_safe(s) + "\n";
  }
  if (!r.notes.empty()) {
    out += "notes:\n";
    for (const auto& n : r.notes) out += "  - " + terminal_safe(n) + "\n";
  }
  // Every piece from others is escaped above; this catches one a later field forgets.
  return terminal_safe_lines(out);
}

}  // namespace pedigree::cli
