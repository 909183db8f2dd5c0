#include "pedigree/lineage/verdict.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <string_view>

#include "pedigree/lineage/confidence_table.hpp"

namespace pedigree::lineage {
namespace {

// Confidence each kind of evidence lends on its own (documented in docs/cli.md).
// The fingerprint's is measured instead: confidence_table.hpp.
constexpr double k_conf_identity = 0.99;
constexpr double k_conf_weak_hash = 0.4;
constexpr double k_conf_lineage = 0.9;
constexpr double k_conf_claim_yes = 0.75;
constexpr double k_conf_metadata = 0.6;
constexpr double k_conf_base_identity = 0.95;
constexpr double k_conf_complete_ancestry = 0.8;
constexpr double k_conf_claim_no = 0.6;
constexpr std::size_t k_max_listed = 20;
// The leak of NovelAI's files (docs/reference-ledger.md): the first day NAI
// weights were in anyone's hands but NovelAI's.
constexpr std::string_view k_leak_date = "2022-10-06";

std::string fmt_share(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// Whether a path step's coefficients differ from block to block.
bool block_weighted(const PathStep& step) {
  return step.blocks && std::any_of(step.blocks->begin(), step.blocks->end(),
                                    [&](double w) { return w != step.blocks->front(); });
}

std::string short_id(const std::string& id) {
  return id.substr(0, 12);
}

// Concatenation into one buffer (chains of operator+ on temporaries also make
// g++ 12 warn falsely about memcpy bounds).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (auto p : parts) size += p.size();
  std::string out;
  out.reserve(size);
  for (auto p : parts) out.append(p);
  return out;
}

// Whether a date ("YYYY-MM-DD" or a prefix such as "2022-10") lies before
// `day` whatever its missing digits are: "2022-10" is not surely before
// "2022-10-06".
bool surely_before(std::string_view date, std::string_view day) {
  return !date.empty() && date < day && !day.starts_with(date);
}

// Independent pieces combine as 1 - prod(1 - c), capped below certainty.
double combine(const std::vector<double>& confidences) {
  double miss = 1.0;
  for (double c : confidences) miss *= 1.0 - c;
  return std::min(0.99, 1.0 - miss);
}

class Decider {
public:
  Decider(const FactBase& facts, const CheckInput& input) : m_facts(facts), m_in(input) {}

  Verdict run() {
    const std::string& sha = m_in.target.sha256;
    if (!sha.empty()) {
      identity(sha);
      m_out.ancestry = trace_ancestry(m_facts, sha);
      lineage();
      claims(sha);
      dating(sha);
    }
    component_identity();
    metadata();
    fingerprint();
    conclude();
    next_steps();
    return std::move(m_out);
  }

private:
  void add(Evidence e, double confidence) {
    if (e.counts) (e.says_nai ? m_nai : m_clean).push_back(confidence);
    if (!e.counts && e.says_nai) m_ignored_nai = true;
    m_out.evidence.push_back(std::move(e));
  }

  void note_source(Role role) {
    if (role == Role::k_nai_leak) m_leak = true;
    if (role == Role::k_nai_official) m_official = true;
  }

  void identity(const std::string& sha) {
    Role role = m_facts.role_of(sha);
    std::string name = m_facts.display_name(sha);
    if (is_nai_role(role)) {
      if (m_in.target.weak_match) {
        add({"weak-hash", "weak", true, true,
             "the " + m_in.target.matched_by + " '" + m_in.target.input + "' matches " + name +
                 " (" + std::string(role_name(role)) +
                 "); AutoV1/CRC32 collide and are trivially spoofed: weak evidence",
             "", ""},
            k_conf_weak_hash);
      } else {
        add({"identity", "decisive", true, true,
             "this artifact IS the NAI reference " + name + " (" + std::string(role_name(role)) +
                 ", matched by " +
                 (m_in.target.matched_by.empty() ? "SHA-256 of the file" : m_in.target.matched_by) +
                 ")",
             "", ""},
            k_conf_identity);
      }
      note_source(role);
    } else if (role == Role::k_base && !m_in.target.weak_match) {
      add({"identity", "strong", true, false,
           "this artifact is the base reference " + name + " (" + base_reason(sha) + ")", "", ""},
          k_conf_base_identity);
    }
    // Untrusted model events that give it a NAI role are shown, never used.
    if (const ArtifactFacts* a = m_facts.artifact(sha))
      for (const auto& m : a->models)
        if (m.from.status != EventStatus::k_trusted && is_nai_role(m.role))
          add({"identity", "ignored", false, true,
               std::string(event_status_name(m.from.status)) + " model event says this is " +
                   std::string(role_name(m.role)),
               m.from.event_id, m.from.signer},
              0);
  }

  // Why a base reference holds no NAI weights. Only a base published before
  // the leak is ruled out by its date; a later one (SD1.5, 2022-10-20) rests
  // on its trusted role alone.
  std::string base_reason(const std::string& sha) const {
    std::string published = m_facts.published(sha);
    if (published.empty())
      return "its trusted role says it holds no NAI weights; its publication date is unknown";
    if (surely_before(published, k_leak_date))
      return cat({"published ", published, ", before the NAI leak of ", k_leak_date,
                  ": it cannot contain NAI weights"});
    return cat({"its trusted role says it holds no NAI weights; published ", published,
                published > k_leak_date ? ", after" : ", not surely before", " the NAI leak of ",
                k_leak_date, ", so the date alone does not rule NAI out"});
  }

  void component_identity() {
    const auto& t = m_in.target;
    if (t.weights_hash.empty() && t.unet_hash.empty()) return;
    for (const auto& [sha, a] : m_facts.artifacts()) {
      if (sha == t.sha256) continue;
      Role role = m_facts.role_of(sha);
      if (!is_nai_role(role)) continue;
      for (const auto& m : a.models) {
        if (m.from.status != EventStatus::k_trusted) continue;
        auto h = [&](const char* k) {
          auto it = m.hashes.find(k);
          return it == m.hashes.end() ? std::string() : it->second;
        };
        bool weights = !t.weights_hash.empty() && h("weights") == t.weights_hash;
        bool unet = !t.unet_hash.empty() && h("unet") == t.unet_hash;
        if (!weights && !unet) continue;
        add({"identity", "decisive", true, true,
             std::string(weights ? "its weights are" : "its UNet is") + " bit-identical to " +
                 m_facts.display_name(sha) + " (" + std::string(role_name(role)) + ")",
             m.from.event_id, m.from.signer},
            k_conf_identity);
        if (weights) note_source(role);  // a UNet alone may also be the licensed release's
        break;
      }
    }
  }

  void lineage() {
    const Ancestry& anc = m_out.ancestry;
    for (std::size_t i = 0; i < anc.paths.size() && i < k_max_listed; ++i) {
      const NaiPath& p = anc.paths[i];
      std::string text = "declared path to " + p.steps.back().name + ":" + steps_text(p);
      const PathStep& first = p.steps[1];
      add({"lineage", "strong", true, true, text, first.event_id, ""}, k_conf_lineage);
      note_source(p.root_role);
    }
    // Subtracted terms are shown, counted with their sign in the declared
    // share, and never taken as a path to NAI (nor as a sign of no NAI).
    for (std::size_t i = 0; i < anc.subtracted_paths.size() && i < k_max_listed; ++i) {
      const NaiPath& p = anc.subtracted_paths[i];
      add({"lineage", "moderate", false, false,
           "subtracted term, not a path to NAI (it enters the declared share with its sign): " +
               p.steps.back().name + ":" + steps_text(p),
           p.steps[1].event_id, ""},
          0);
    }
    for (std::size_t i = 0; i < anc.ignored_paths.size() && i < k_max_listed; ++i) {
      const NaiPath& p = anc.ignored_paths[i];
      std::string ids;
      for (std::size_t s = 1; s < p.steps.size(); ++s)
        if (p.steps[s].status != EventStatus::k_trusted)
          ids += cat({" ", short_id(p.steps[s].event_id), " (",
                      event_status_name(p.steps[s].status), ")"});
      add({"lineage", "ignored", false, true,
           "a path to " + p.steps.back().name + " exists only through events not counted:" + ids,
           "", ""},
          0);
    }
    for (const Edge* e : anc.ignored_edges)
      if (m_out.evidence.size() < 4 * k_max_listed)
        add({"lineage", "ignored", false, false,
             cat({event_status_name(e->from.status),
                  " lineage event: ", m_facts.display_name(e->child), " <-", e->relation, "- ",
                  m_facts.display_name(e->parent)}),
             e->from.event_id, e->from.signer},
            0);
    for (const auto& cycle : anc.cycles) {
      std::string text = "cycle refused:";
      for (const auto& n : cycle) text.append(" ").append(m_facts.display_name(n));
      add({"cycle", "ignored", false, false, text, "", ""}, 0);
    }
    for (const auto& c : anc.conflicts) {
      std::string text = "conflicting lineage for " + m_facts.display_name(c.sha256) + ": events";
      for (const auto& id : c.event_ids) text.append(" ").append(short_id(id));
      add({"conflict", "moderate", false, false, text, "", ""}, 0);
    }
    if (anc.nai_declared() && anc.share_low && anc.share_high)
      m_out.declared_share =
          ShareEstimate{(*anc.share_low + *anc.share_high) / 2, *anc.share_low, *anc.share_high};
    if (!anc.nai_declared() && anc.subtracted_paths.empty() && anc.complete &&
        anc.has_trusted_parents) {
      m_out.declared_share = ShareEstimate{0, 0, 0};
      add({"lineage", "strong", true, false,
           "complete declared ancestry (" + std::to_string(anc.ancestors) +
               " ancestors) reaches only base references",
           "", ""},
          k_conf_complete_ancestry);
    }
  }

  // " <-relation(weight)- name" per step and the path's product; a
  // block-weighted step shows its parameter-weighted mean.
  static std::string steps_text(const NaiPath& p) {
    std::string text;
    for (std::size_t s = 1; s < p.steps.size(); ++s) {
      const PathStep& step = p.steps[s];
      std::string weight;
      if (step.weight)
        weight =
            cat({"(", block_weighted(step) ? "blocks, mean " : "", fmt_share(*step.weight), ")"});
      text += cat({" <-", step.relation, weight, "- ", step.name});
    }
    if (p.product) text += " (product " + fmt_share(*p.product) + ")";
    return text;
  }

  void claims(const std::string& sha) {
    const ArtifactFacts* a = m_facts.artifact(sha);
    if (!a) return;
    for (const auto& c : a->claims) {
      bool trusted = c.from.status == EventStatus::k_trusted;
      bool yes = c.contains_nai == "yes";
      bool no = c.contains_nai == "no";
      if (!yes && !no) continue;
      std::string text =
          std::string(trusted ? "" : std::string(event_status_name(c.from.status)) + " ") +
          "claim: contains NAI = " + c.contains_nai + " (" + c.basis + ")";
      for (const auto& e : c.evidence) text += "; " + e;
      add({"claim", trusted ? "moderate" : "ignored", trusted, yes, text, c.from.event_id,
           c.from.signer},
          yes ? k_conf_claim_yes : k_conf_claim_no);
    }
  }

  void dating(const std::string& sha) {
    m_published = m_facts.published(sha);
    if (surely_before(m_published, k_official_release_date)) m_before_release = true;
  }

  void metadata() {
    for (const auto& r : m_in.recipes) {
      bool nai = false;
      Role via = Role::k_none;
      if (!r.resolved.empty()) {
        Role role = m_facts.role_of(r.resolved);
        if (is_nai_role(role)) {
          nai = true;
          via = role;
        } else {
          Ancestry a = trace_ancestry(m_facts, r.resolved);
          nai = a.nai_declared();
          via = a.reaches_leak ? Role::k_nai_leak
                               : (a.reaches_official ? Role::k_nai_official : Role::k_none);
        }
      }
      std::string who = r.resolved.empty() ? r.parent : m_facts.display_name(r.resolved);
      add({"metadata", nai ? "moderate" : "weak", nai, nai,
           cat({"the file's own ", r.source, " names parent ", who, " (", r.relation,
                r.weight ? cat({" ", fmt_share(*r.weight)}) : "", ")",
                nai ? ", a NAI reference or NAI descendant" : "", "; file metadata is forgeable"}),
           "", ""},
          k_conf_metadata);
      if (nai) note_source(via);
    }
  }

  void fingerprint() {
    if (!m_in.fingerprint) return;
    const FingerprintResult& fp = *m_in.fingerprint;
    m_out.fingerprint_share = fp.share;
    m_out.fingerprint_configuration = fp.configuration;
    add({"fingerprint", "strong", true, fp.nai_detected,
         "fingerprint estimate of the NAI share: " + fmt_share(fp.share.estimate) + " [" +
             fmt_share(fp.share.low) + ", " + fmt_share(fp.share.high) + "]" +
             (fp.summary.empty() ? "" : "; " + fp.summary),
         "", ""},
        fingerprint_confidence(fp.configuration.thresholds, fp.nai_detected));
    if (m_out.declared_share) {
      double gap = std::fabs(m_out.declared_share->estimate - fp.share.estimate);
      double tolerance = std::max(0.1, (fp.share.high - fp.share.low) / 2 + 0.05);
      if (gap > tolerance) {
        m_out.shares_disagree = true;
        add({"conflict", "moderate", false, false,
             "declared share " + fmt_share(m_out.declared_share->estimate) +
                 " and fingerprint estimate " + fmt_share(fp.share.estimate) + " disagree",
             "", ""},
            0);
      }
    }
  }

  void conclude() {
    Verdict& v = m_out;
    if (!m_nai.empty()) {
      v.confidence = combine(m_nai);
      if (m_in.target.weak_match) v.confidence = std::min(v.confidence, k_conf_weak_hash);
      if (m_leak || m_before_release) {
        v.verdict = VerdictClass::k_nai_leak;
        v.summary = m_leak ? "contains NAI weights from the leaked files"
                           : "contains NAI weights, and was published (" + m_published +
                                 ") before the official release: the leak is the only source";
        if (m_official) v.summary += " (the licensed release is also in its ancestry)";
      } else if (m_official) {
        v.verdict = VerdictClass::k_nai_official;
        v.summary = "contains NAI weights from the official (licensed) release";
        v.licence_note = "the licensed release's terms bind: " + std::string(k_official_licence);
      } else {
        v.verdict = VerdictClass::k_nai;
        v.summary =
            "contains NAI weights; whether from the leak or the licensed release is undetermined";
        v.licence_note = "if the source is the licensed release (" +
                         std::string(k_official_release_date) +
                         " or later), its terms bind: " + std::string(k_official_licence) +
                         "; if it is the leak, they do not license it";
      }
    } else if (!m_clean.empty() && !m_ignored_nai) {
      v.verdict = VerdictClass::k_no_nai_found;
      v.confidence = combine(m_clean);
      if (m_in.target.weak_match) v.confidence = std::min(v.confidence, k_conf_weak_hash);
      v.summary = "no NAI weights found in the available evidence";
    } else {
      v.verdict = VerdictClass::k_unknown;
      v.confidence = 0;
      v.summary = m_ignored_nai ? "not enough trusted evidence: NAI is claimed only by events "
                                  "that do not count (untrusted or revoked)"
                                : "not enough evidence to decide";
    }
  }

  void next_steps() {
    auto& steps = m_out.next_steps;
    const auto& t = m_in.target;
    const bool known = !t.sha256.empty() && m_facts.artifact(t.sha256) != nullptr;
    if (!known)
      steps.emplace_back(
          "the ledger does not know this artifact: run `pedigree check FILE` on the model "
          "file (hash + fingerprint), then contribute with `pedigree attest model FILE`");
    if (t.weak_match)
      steps.emplace_back(
          "AutoV1/CRC32 matches are weak: check the full SHA-256 or the file itself");
    if (!m_in.fingerprint && t.kind != "file")
      steps.emplace_back(
          "fingerprint the model file: `pedigree check FILE` estimates the NAI share "
          "from the weights");
    if (known && !m_out.ancestry.complete)
      steps.emplace_back(
          "ancestry incomplete: ask the author to attest the recipe (`pedigree attest "
          "lineage CHILD --parent SHA256:WEIGHT ...`)");
    // Trusting a signer cannot help with a fact its own signer marked unconfirmed.
    bool unconfirmed = false, untrusted = false;
    auto note = [&](EventStatus status) {
      if (status == EventStatus::k_unconfirmed) unconfirmed = true;
      if (status == EventStatus::k_untrusted || status == EventStatus::k_revoked) untrusted = true;
    };
    for (const Edge* e : m_out.ancestry.ignored_edges) note(e->from.status);
    for (const auto& p : m_out.ancestry.ignored_paths)
      for (const auto& step : p.steps) note(step.status);
    if (m_ignored_nai && !unconfirmed) untrusted = true;
    if (unconfirmed)
      steps.emplace_back(
          "some facts are marked unconfirmed by their signer: they count once someone attests "
          "them as confirmed (e.g. by hashing the files)");
    if (untrusted)
      steps.emplace_back(
          "some events do not count: review their signers (`pedigree trust add KEYID`)");
  }

  const FactBase& m_facts;
  const CheckInput& m_in;
  Verdict m_out;
  std::vector<double> m_nai;
  std::vector<double> m_clean;
  bool m_ignored_nai = false;
  bool m_leak = false;
  bool m_official = false;
  bool m_before_release = false;
  std::string m_published;
};

}  // namespace

std::string_view verdict_name(VerdictClass verdict) {
  switch (verdict) {
    case VerdictClass::k_nai_leak: return "nai-leak";
    case VerdictClass::k_nai_official: return "nai-official";
    case VerdictClass::k_nai: return "nai";
    case VerdictClass::k_no_nai_found: return "no-nai-found";
    case VerdictClass::k_unknown: return "unknown";
  }
  return "unknown";
}

Verdict decide(const FactBase& facts, const CheckInput& input) {
  return Decider(facts, input).run();
}

}  // namespace pedigree::lineage
