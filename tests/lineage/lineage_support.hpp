// Builds FactBases in memory for the verdict engine tests: events shaped
// exactly like ledger predicates (docs/formats/ledger.md).
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/lineage/facts.hpp"
#include "pedigree/lineage/verdict.hpp"

namespace pedigree::testing {

// A deterministic fake SHA-256 for an artifact label.
inline std::string sha_of(const std::string& label) {
  return crypto::sha256_hex(label);
}

struct ParentSpec {
  ParentSpec(std::string label_, std::string relation_, std::string weight_,
             std::string weights_hash_ = "")
      : label(std::move(label_)),
        relation(std::move(relation_)),
        weight(std::move(weight_)),
        weights_hash(std::move(weights_hash_)) {}
  std::string label;
  std::string relation;
  std::string weight;        // "" for none
  std::string weights_hash;  // when set, the parent is named by this weights hash only
};

class FactBuilder {
public:
  lineage::FactBase& facts() { return m_facts; }

  // Adds a model event; returns its event id.
  std::string model(const std::string& label, const std::string& role = "",
                    const std::string& published = "", bool trusted = true,
                    nlohmann::json hashes = nlohmann::json::object()) {
    nlohmann::json p = {{"title", label}};
    if (!role.empty()) p["role"] = role;
    if (!published.empty()) p["published"] = published;
    if (!hashes.empty()) p["hashes"] = hashes;
    return add("model", label, p, trusted);
  }

  std::string lineage(const std::string& child, const std::vector<ParentSpec>& parents,
                      bool trusted = true, const std::string& signer = "k1") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& ps : parents) {
      nlohmann::json digest = {{"sha256", sha_of(ps.label)}};
      if (!ps.weights_hash.empty()) digest = {{"pedigree-weights-v1", ps.weights_hash}};
      nlohmann::json q = {{"digest", digest}, {"name", ps.label}, {"relation", ps.relation}};
      if (!ps.weight.empty()) q["weight"] = ps.weight;
      list.push_back(q);
    }
    return add("lineage", child,
               {{"parents", list}, {"method", "test"}, {"basis", "author-statement"}}, trusted,
               signer);
  }

  std::string claim(const std::string& label, const std::string& contains, bool trusted = true) {
    return add("claim", label, {{"contains_nai", contains}, {"basis", "test"}}, trusted);
  }

  std::string revoke(const std::string& label, const std::string& event_id,
                     const std::string& signer = "k1") {
    return add("revocation", label, {{"event", event_id}}, true, signer);
  }

  std::string add(const std::string& kind, const std::string& label, const nlohmann::json& p,
                  bool trusted, const std::string& signer = "k1") {
    std::string id = sha_of(kind + label + p.dump() + std::to_string(m_count++));
    lineage::EventInput e{id, signer, trusted, kind, sha_of(label), label, p};
    // The test's trusted signers hold the reference scope unless told otherwise.
    e.reference_trusted = trusted && !m_without_reference.contains(signer);
    auto r = m_facts.add_event(e);
    if (!r) throw std::runtime_error(r.error().message());
    return id;
  }

  // Events of `signer` from now on: trusted for their predicate, but not for
  // reference roles (what `trust add KEY` without `--for reference` grants).
  void without_reference(const std::string& signer) { m_without_reference.insert(signer); }

private:
  std::set<std::string> m_without_reference;
  lineage::FactBase m_facts;
  int m_count = 0;
};

// Finalizes the facts and decides the verdict for the artifact `label`, as
// `check` does for a pasted SHA-256.
inline lineage::Verdict decide_label(FactBuilder& b, const std::string& label) {
  b.facts().finalize();
  lineage::CheckInput in;
  in.target.input = label;
  in.target.kind = "hash";
  in.target.sha256 = sha_of(label);
  return lineage::decide(b.facts(), in);
}

}  // namespace pedigree::testing
