#include "pedigree/lineage/verdict.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <string_view>

#include "pedigree/lineage/confidence_table.hpp"
#include "pedigree/lineage/fingerprint_policy.hpp"

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

// True when a path to NAI passes a trained-on edge: what it brings is an
// adapter trained on NAI, not NAI's weights.
bool trained_on(const NaiPath& p) {
  return std::any_of(p.steps.begin(), p.steps.end(),
                     [](const PathStep& s) { return s.relation == k_relation_trained_on; });
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
    vae_identity();
    vae_share();
    metadata();
    fingerprint();
    conclude();
    components();
    next_steps();
    m_out.licence =
        licence_finding(m_facts, m_out, m_in.target.sha256, m_in.target.declared_licence);
    return std::move(m_out);
  }

private:
  void add(Evidence e, double confidence) {
    if (e.counts) (e.says_nai ? m_nai : m_clean).push_back(confidence);
    if (e.counts && e.says_nai && !m_adding_vae) m_unet_nai = true;
    if (e.counts && e.says_nai) (m_adding_trained ? m_trained_nai : m_weights_nai) = true;
    if (!e.counts && e.says_nai) m_ignored_nai = true;
    m_out.evidence.push_back(std::move(e));
  }

  // Records that the verdict relies on `sha` as a reference (once per use).
  void use_reference(const std::string& sha, std::string_view used_for) {
    const ModelFact* m = m_facts.role_fact(sha);
    if (!m) return;
    for (const auto& u : m_out.references)
      if (u.sha256 == sha && u.used_for == used_for) return;
    m_out.references.push_back({sha, m_facts.display_name(sha), m->role, std::string(used_for),
                                m->from.event_id, m->from.signer, ""});
  }

  // Role statements about `sha` that do not count: untrusted or revoked
  // events, and trusted events whose signer may not define references.
  void ignored_roles(const std::string& sha, std::string_view who) {
    const ArtifactFacts* a = m_facts.artifact(sha);
    if (!a) return;
    for (const auto& m : a->models) {
      if (m.role == Role::k_none) continue;
      const bool event_counts = m.from.status == EventStatus::k_trusted;
      if (event_counts && m.role_trusted) continue;
      const bool nai = is_nai_role(m.role) || m.role == Role::k_nai_vae;
      std::string why = event_counts
                            ? "its signer " + m.from.signer.substr(0, 16) +
                                  " is not trusted for references (`pedigree trust add KEY "
                                  "--for all,reference` makes it count)"
                            : "the event is " + std::string(event_status_name(m.from.status));
      add({"identity", "ignored", false, nai,
           cat({"a model event gives ", who, " the reference role ", role_name(m.role),
                "; ignored: ", why}),
           m.from.event_id, m.from.signer},
          0);
    }
  }

  void note_source(Role role) {
    if (role == Role::k_nai_leak) m_leak = true;
    if (role == Role::k_nai_official) m_official = true;
  }

  void identity(const std::string& sha) {
    Role role = m_facts.role_of(sha);
    std::string name = m_facts.display_name(sha);
    if (role != Role::k_none && !m_in.target.weak_match) use_reference(sha, "identity");
    if (role == Role::k_nai_vae && !m_in.target.weak_match) {
      m_adding_vae = true;
      add({"identity", "decisive", true, true,
           "this artifact IS the leaked NAI VAE " + name +
               " (nai-vae): leaked NovelAI material, though no UNet weights",
           "", ""},
          k_conf_identity);
      m_adding_vae = false;
      m_leak = true;
      m_vae_nai = name;
    }
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
    // Role statements that do not count are shown, never used.
    ignored_roles(sha, "this artifact");
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
        use_reference(sha, "identity");
        if (weights) note_source(role);  // a UNet alone may also be the licensed release's
        break;
      }
    }
  }

  // The target's VAE against the VAE hash of every trusted nai-vae reference
  // (the leaked animevae.pt) and of every base reference (SD's own VAE).
  void vae_identity() {
    const std::string& vae = m_in.target.vae_hash;
    if (vae.empty()) return;
    for (const auto& [sha, a] : m_facts.artifacts()) {
      if (sha == m_in.target.sha256) continue;
      const ModelFact* defined = m_facts.role_fact(sha);
      if (!defined || (defined->role != Role::k_nai_vae && defined->role != Role::k_base)) continue;
      bool same = false;
      for (const auto& m : a.models) {
        auto it = m.hashes.find("vae");
        same = same || (m.from.status == EventStatus::k_trusted && it != m.hashes.end() &&
                        it->second == vae);
      }
      if (!same) continue;
      use_reference(sha, "component");
      if (defined->role == Role::k_base) {
        m_vae_base = m_facts.display_name(sha);
        continue;
      }
      m_vae_nai = m_facts.display_name(sha);
      m_adding_vae = true;
      add({"component", "decisive", true, true,
           "its VAE is bit-identical to the leaked NAI VAE " + m_vae_nai +
               " (nai-vae): leaked NovelAI material",
           defined->from.event_id, defined->from.signer},
          k_conf_identity);
      m_adding_vae = false;
      m_leak = true;  // the nai-vae role names the leaked file
      return;
    }
  }

  // The target's VAE against the leaked NAI VAE by fingerprint (a merge the
  // VAE hash cannot see). Not needed when the hash already decided.
  void vae_share() {
    if (!m_in.vae_share || !m_vae_nai.empty() || !m_vae_base.empty()) return;
    const VaeShareResult& r = *m_in.vae_share;
    if (r.base_in_other_precision) {
      m_vae_clean = "the VAE of the base reference " + r.base +
                    ", stored in another precision (its fingerprint is within rounding)";
      return;
    }
    const std::string share = fmt_share(100 * r.share.estimate) + "% [" +
                              fmt_share(100 * r.share.low) + ", " + fmt_share(100 * r.share.high) +
                              "]";
    if (r.present) {
      m_vae_nai = r.nai_vae;
      m_vae_merge_share = r.share;
      m_adding_vae = true;
      add({"component", "strong", true, true,
           cat({"its VAE is a merge of the leaked NAI VAE ", r.nai_vae, ": ", share,
                " of the leaked VAE's update from ", r.base,
                "'s VAE (fingerprint); leaked NovelAI material"}),
           "", ""},
          fingerprint_confidence("vae", true));
      m_adding_vae = false;
      m_leak = true;
      return;
    }
    if (r.rules_out) {
      m_vae_clean = cat({"no leaked NAI VAE above ", fmt_share(100 * policy::k_vae_detection_limit),
                         "% of its update from ", r.base, "'s VAE (share ", share, ")"});
      return;
    }
    m_vae_unresolved = "the VAE's share of the leaked NAI VAE is not ruled out: " + r.why_not;
  }

  void lineage() {
    const Ancestry& anc = m_out.ancestry;
    for (const auto& root : anc.reference_roots) use_reference(root, "lineage");
    for (const auto& root : anc.unknown_roots)
      if (m_out.evidence.size() < 4 * k_max_listed) ignored_roles(root, m_facts.display_name(root));
    for (std::size_t i = 0; i < anc.paths.size() && i < k_max_listed; ++i) {
      const NaiPath& p = anc.paths[i];
      std::string text = "declared path to " + p.steps.back().name + ":" + steps_text(p);
      const PathStep& first = p.steps[1];
      m_adding_trained = trained_on(p);
      if (m_adding_trained)
        text += " (trained on NAI: this path carries no NAI weights, only what was learned on it)";
      add({"lineage", "strong", true, true, text, first.event_id, ""}, k_conf_lineage);
      m_adding_trained = false;
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
      m_adding_trained = r.relation == k_relation_trained_on;
      add({"metadata", nai ? "moderate" : "weak", nai, nai,
           cat({"the file's own ", r.source, " names parent ", who, " (", r.relation,
                r.weight ? cat({" ", fmt_share(*r.weight)}) : "", ")",
                nai ? ", a NAI reference or NAI descendant" : "", "; file metadata is forgeable"}),
           "", ""},
          k_conf_metadata);
      m_adding_trained = false;
      if (nai) note_source(via);
    }
  }

  void fingerprint() {
    if (!m_in.fingerprint) return;
    const FingerprintResult& fp = *m_in.fingerprint;
    m_out.fingerprint_share = fp.share;
    m_out.fingerprint = fp;
    m_out.fingerprint_configuration = fp.configuration;
    const bool present = fp.nai_detected || fp.outcome == FingerprintOutcome::k_present;
    std::string text = "fingerprint estimate of the NAI share: " + fmt_share(fp.share.estimate) +
                       " [" + fmt_share(fp.share.low) + ", " + fmt_share(fp.share.high) + "]" +
                       (fp.summary.empty() ? "" : "; " + fp.summary) + "; it covers " +
                       fmt_share(100 * fp.coverage.unet_params) + "% of the UNet parameters";
    if (present) {
      add({"fingerprint", "strong", true, true, text, "", ""},
          fingerprint_confidence(fp.configuration.thresholds, true));
    } else if (fp.outcome == FingerprintOutcome::k_absent) {
      add({"fingerprint", "strong", true, false,
           cat({"no NAI above ", fmt_share(100 * fp.detection_limit),
                "% of the UNet (upper end of the interval ", fmt_share(100 * fp.share.high), "%); ",
                text}),
           "", ""},
          fingerprint_confidence(fp.configuration.thresholds, false));
      m_fingerprint_clean = true;
    } else {
      // Inconclusive: shown, never counted toward "clean". A share significantly above 0
      // is a hint of NAI that blocks a clean verdict from other evidence too.
      std::string why;
      for (const auto& r : fp.reasons) why += cat({"; ", r.code, ": ", r.detail});
      add({"fingerprint", "inconclusive", false, false,
           cat({"inconclusive, rules nothing out (", text, ")", why}), "", ""},
          0);
      if (fp.share.low > 0) m_fingerprint_hint = true;
    }
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
    // Only evidence of training on NAI (an adapter trained on it, or a model
    // baking such an adapter in): derived from NAI without carrying its weights.
    const bool trained_only = m_trained_nai && !m_weights_nai;
    const std::string carries = trained_only ? "was trained on NAI" : "contains NAI weights";
    if (!m_nai.empty()) v.nai_relation = trained_only ? "trained-on" : "weights";
    if (!m_nai.empty()) {
      v.confidence = combine(m_nai);
      if (m_in.target.weak_match) v.confidence = std::min(v.confidence, k_conf_weak_hash);
      if (!m_unet_nai) {
        // The leaked VAE is the only NAI material found.
        v.verdict = VerdictClass::k_nai_leak;
        v.summary = "carries leaked NAI material in its VAE only: the VAE is " +
                    std::string(m_vae_merge_share ? "a merge of " : "") + "the leaked NAI VAE " +
                    m_vae_nai + "; no NAI UNet weights were found in the available evidence";
      } else if (m_leak || m_before_release) {
        v.verdict = VerdictClass::k_nai_leak;
        v.summary = m_leak ? carries + " from the leaked files"
                           : carries + ", and was published (" + m_published +
                                 ") before the official release: the leak is the only source";
        if (m_official) v.summary += " (the licensed release is also in its ancestry)";
        if (!m_vae_nai.empty())
          v.summary += "; its VAE is " + std::string(m_vae_merge_share ? "a merge of " : "") +
                       "the leaked NAI VAE " + m_vae_nai;
      } else if (m_official) {
        v.verdict = VerdictClass::k_nai_official;
        v.summary = carries + " from the official (licensed) release";
        v.licence_note = "the licensed release's terms bind: " + std::string(k_official_licence);
      } else {
        v.verdict = VerdictClass::k_nai;
        v.summary = carries + "; whether from the leak or the licensed release is undetermined";
        v.licence_note = "if the source is the licensed release (" +
                         std::string(k_official_release_date) +
                         " or later), its terms bind: " + std::string(k_official_licence) +
                         "; if it is the leak, they do not license it";
      }
      if (trained_only)
        v.summary +=
            " (an adapter trained on it, or a model that bakes one in): derived from NAI "
            "without carrying its weights";
    } else if (!m_clean.empty() && !m_ignored_nai && !m_fingerprint_hint &&
               m_facts.incomplete().empty() && !vae_blocks_clean()) {
      v.verdict = VerdictClass::k_no_nai_found;
      v.confidence = combine(m_clean);
      if (m_in.target.weak_match) v.confidence = std::min(v.confidence, k_conf_weak_hash);
      v.summary = "no NAI weights found in the available evidence";
      if (m_in.fingerprint && m_in.fingerprint->outcome == FingerprintOutcome::k_absent)
        v.summary += cat({": the fingerprint rules out NAI above ",
                          fmt_share(100 * m_in.fingerprint->detection_limit), "% of the UNet"});
    } else {
      v.verdict = VerdictClass::k_unknown;
      v.confidence = 0;
      v.summary =
          m_ignored_nai ? "not enough trusted evidence: NAI is claimed only by events "
                          "that do not count (untrusted or revoked)"
          : m_fingerprint_hint
              ? "not enough evidence to decide: the fingerprint finds a small NAI share "
                "significantly above 0, below the presence rule"
          : m_in.fingerprint && m_in.fingerprint->outcome == FingerprintOutcome::k_inconclusive
              ? "not enough evidence to decide: the fingerprint is inconclusive"
              : "not enough evidence to decide";
      // Fail closed: clean evidence over a partial load is no proof (NAI found stays NAI).
      if (!m_clean.empty() && !m_ignored_nai && !m_facts.incomplete().empty())
        v.summary = "no NAI found in what was loaded, but " + m_facts.incomplete();
      else if (vae_blocks_clean() && !m_ignored_nai && !m_fingerprint_hint)
        v.summary = "no NAI found in the UNet's weights, but " + vae_open_question();
    }
  }

  // Which components carry NAI material. The UNet follows the evidence
  // (everything but the VAE's identity speaks about NAI's UNet weights); the
  // VAE its identity with a nai-vae or base reference; NAI never trained the
  // text encoder (it equals SD1.4's, key for key).
  // The fingerprint speaks for the UNet only: when it is the only clean
  // evidence, the VAE (the leaked VAE is NAI material of its own) must be
  // cleared too: identical to a base VAE or its NAI VAE share ruled out.
  bool vae_blocks_clean() const {
    const bool has_vae = m_in.vae_share || !m_in.target.vae_hash.empty();
    const bool only_weights = m_fingerprint_clean && m_clean.size() == 1;
    return only_weights && has_vae && m_vae_base.empty() && m_vae_clean.empty();
  }

  std::string vae_open_question() const {
    return m_vae_unresolved.empty()
               ? "its VAE is not a base reference's and its share of the leaked NAI VAE "
                 "was not measured (the ledger holds no fingerprint of it)"
               : m_vae_unresolved;
  }

  void components() {
    const Verdict& v = m_out;
    ComponentFinding unet{"unet", "unknown", "", std::nullopt};
    if (v.fingerprint_share)
      unet.share = v.fingerprint_share;
    else if (v.declared_share)
      unet.share = v.declared_share;
    if (m_unet_nai && v.nai_relation == k_relation_trained_on) {
      unet.nai = "trained-on";
      unet.summary = "trained on NAI (an adapter, or an adapter baked in): no NAI weights carried";
    } else if (m_unet_nai) {
      unet.nai = "yes";
      unet.summary = "NAI UNet weights: see the evidence";
    } else if (v.verdict == VerdictClass::k_no_nai_found ||
               (v.verdict == VerdictClass::k_nai_leak && !m_clean.empty() && !m_ignored_nai)) {
      unet.nai = "no";
      unet.summary = "no NAI UNet weights found in the available evidence";
    } else if (m_fingerprint_clean) {
      // The verdict waits on something else (the VAE, an open question), not on the UNet.
      unet.nai = "no";
      unet.summary = cat({"the fingerprint rules out NAI above ",
                          fmt_share(100 * m_in.fingerprint->detection_limit),
                          "% of the UNet; the verdict is open for another reason"});
    } else {
      unet.summary = "not enough evidence about the UNet";
    }
    ComponentFinding vae{"vae", "unknown", "", std::nullopt};
    if (!m_vae_nai.empty() && m_vae_merge_share) {
      vae.nai = "yes";
      vae.summary = "a merge of the leaked NAI VAE " + m_vae_nai + " (fingerprint)";
      vae.share = m_vae_merge_share;
    } else if (!m_vae_nai.empty()) {
      vae.nai = "yes";
      vae.summary = "identical to the leaked NAI VAE " + m_vae_nai;
    } else if (!m_vae_base.empty()) {
      vae.nai = "no";
      vae.summary = "identical to the VAE of the base reference " + m_vae_base;
    } else if (!m_vae_clean.empty()) {
      vae.nai = "no";
      vae.summary = m_vae_clean;
      if (!m_in.vae_share->base_in_other_precision) vae.share = m_in.vae_share->share;
    } else if (!m_vae_unresolved.empty()) {
      vae.summary = m_vae_unresolved;
      vae.share = m_in.vae_share->share;
    } else {
      vae.summary = m_in.target.vae_hash.empty() && !m_in.vae_share
                        ? "its VAE hash is unknown (check the file itself)"
                        : "not identical to any VAE reference with a known VAE hash; whether it "
                          "is a merge of the leaked NAI VAE is not measured (the ledger holds no "
                          "fingerprint of the leaked VAE)";
    }
    ComponentFinding te{"text_encoder", "no",
                        "NAI did not train the text encoder (NAI's equals SD1.4's): it carries no "
                        "NAI-specific weights",
                        std::nullopt};
    m_out.components = {unet, vae, te};
  }

  void next_steps() {
    auto& steps = m_out.next_steps;
    const auto& t = m_in.target;
    const bool known = !t.sha256.empty() && m_facts.artifact(t.sha256) != nullptr;
    if (!known && (t.kind == "air" || t.kind == "hf"))
      steps.emplace_back(
          "no trusted model event gives this " +
          std::string(t.kind == "air" ? "Civitai AIR" : "Hugging Face repository") +
          " as an identity: the site page lists each file's SHA-256; check that hash or the file "
          "itself");
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
    if (m_in.fingerprint && m_in.fingerprint->nai_detected &&
        m_in.fingerprint->configuration.nuisance.empty())
      steps.emplace_back(
          "the fingerprint had no trusted independent model to compare with, so an anime "
          "fine-tune trained on data like NAI's (not a merge of it) can read as NAI: held-out "
          "measurements put that at 4 of 192 NAI-free models (docs/benchmarks.md); "
          "a ledger with trusted `independent` references and their fingerprints (e.g. Waifu "
          "Diffusion 1.3, Trinart) tells the two apart");
    if (m_in.fingerprint && m_in.fingerprint->outcome == FingerprintOutcome::k_inconclusive &&
        !m_in.fingerprint->nai_detected)
      steps.emplace_back(
          "the fingerprint is inconclusive (see its reasons): only a complete, aligned "
          "fingerprint whose interval stays below the detection limit rules NAI out");
    if (!m_facts.incomplete().empty()) steps.push_back(m_facts.incomplete());
    for (const auto& [keyid, why] : m_facts.retired_keys())
      steps.push_back("statements by a retired key do not count: " + why);
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
  bool m_fingerprint_hint = false;  // inconclusive fingerprint with a share significantly > 0
  bool m_leak = false;
  bool m_official = false;
  bool m_before_release = false;
  std::string m_published;
  bool m_unet_nai = false;        // counted NAI evidence other than the VAE's identity
  bool m_adding_vae = false;      // the evidence being added is about the VAE only
  bool m_adding_trained = false;  // the evidence being added is of training on NAI
  bool m_trained_nai = false;     // counted NAI evidence of training on NAI
  bool m_weights_nai = false;     // counted NAI evidence of carrying NAI (or leaked VAE) weights
  std::string m_vae_nai;          // the nai-vae reference the VAE is identical to (or merges)
  std::string m_vae_base;         // the base reference the VAE is identical to
  std::optional<ShareEstimate> m_vae_merge_share;  // the VAE is a merge of the leaked VAE
  std::string m_vae_clean;           // the VAE fingerprint rules the leaked VAE out (why)
  std::string m_vae_unresolved;      // the VAE fingerprint could not rule it out (why)
  bool m_fingerprint_clean = false;  // the fingerprint counted as clean evidence
};

}  // namespace

std::string_view fingerprint_outcome_name(FingerprintOutcome outcome) {
  switch (outcome) {
    case FingerprintOutcome::k_present: return "present";
    case FingerprintOutcome::k_absent: return "absent";
    case FingerprintOutcome::k_inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

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
