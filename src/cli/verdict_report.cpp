#include "cli/verdict_report.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/common.hpp"
#include "pedigree/ledger/event.hpp"

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

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
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
      out += s.relation;
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
    out += s.name;
  }
  out += p.product ? "   (product " + percent(*p.product) + ")" : "   (a weight is undeclared)";
  return out;
}

void target_lines(const lineage::CheckReport& r, std::string& out) {
  const auto& t = r.identity;
  out += "  target:     " + r.kind;
  if (r.candidates.size() == 1 && r.kind != "file") out += " -> " + r.candidates[0].candidate.name;
  if (ledger::is_placeholder_sha256(t.sha256))
    out += ", placeholder " + t.sha256.substr(0, 32) + "... (the file's SHA-256 is unknown)";
  else if (!t.sha256.empty())
    out += ", sha256 " + t.sha256;
  if (!t.matched_by.empty() && t.matched_by != "sha256")
    out += " (matched by " + t.matched_by + (t.weak_match ? ", WEAK" : "") + ")";
  out += "\n";
  if (r.image)
    for (const auto& m : r.image->models)
      out += "  picture:    names " + (m.name.empty() ? std::string("?") : m.name) +
             (m.hash.empty() ? "" : " [" + m.hash + "]") + " (" + m.origin + ")\n";
}

void evidence_lines(const lineage::Verdict& v, std::string& out) {
  if (v.evidence.empty()) return;
  out += "evidence:\n";
  for (const auto& e : v.evidence) {
    out += std::string("  ") + (e.counts ? (e.says_nai ? "+ " : "o ") : "x ") + "[" + e.kind +
           ", " + e.strength + "] " + e.summary;
    if (!e.counts) out += "  {not counted}";
    if (!e.event_id.empty()) out += "  (event " + e.event_id.substr(0, 12) + ")";
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
  std::string out = r.input + "\n";
  out += "  verdict:    " + upper(lineage::verdict_name(v.verdict)) + " (confidence " +
         confidence(v.confidence) + ")\n";
  out += "  summary:    " + v.summary + "\n";
  if (!v.licence_note.empty()) out += "  licence:    " + v.licence_note + "\n";
  target_lines(r, out);
  if (v.declared_share || v.fingerprint_share) {
    out += "  NAI share:  ";
    if (v.declared_share) out += "declared " + share_text(*v.declared_share);
    if (v.declared_share && v.fingerprint_share) out += "; ";
    if (v.fingerprint_share) out += "fingerprint " + share_text(*v.fingerprint_share);
    if (v.shares_disagree) out += "   ** DISAGREE **";
    out += "\n";
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
  if (r.candidates.size() > 1) {
    out += "candidates (the input may denote any of these):\n";
    for (const auto& c : r.candidates)
      out += "  " + c.candidate.sha256.substr(0, 12) + "  " + c.candidate.name + "  (" +
             c.candidate.matched_by + ", " + c.via + ") -> " +
             std::string(lineage::verdict_name(c.verdict.verdict)) + " " +
             confidence(c.verdict.confidence) + "\n";
  }
  if (!v.next_steps.empty()) {
    out += "unknown / to resolve:\n";
    for (const auto& s : v.next_steps) out += "  - " + s + "\n";
  }
  if (!r.notes.empty()) {
    out += "notes:\n";
    for (const auto& n : r.notes) out += "  - " + n + "\n";
  }
  return out;
}

}  // namespace pedigree::cli
