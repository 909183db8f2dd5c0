// A real ledger for the `check`/`tree`/`graph` end-to-end tests: built with
// the library (Ledger::init + add_event), one key trusted through a
// trust.json in a temporary XDG_CONFIG_HOME and one untrusted key; the real
// binary runs with HOME and XDG_* pointing into the temporary directory and no
// bundled ledger, so the user's configuration is never read or touched.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::testing {

// A deterministic fake SHA-256 for a model label.
inline std::string sha_of_label(const std::string& label) {
  return crypto::sha256_hex("model:" + label);
}

struct Parent {
  std::string label;  // the parent's label (or a 64-hex SHA-256 when it starts with "sha:")
  std::string relation;
  std::string weight;  // "" for none
};

// The entry of `check --json`'s "components" list for `name` (unet, vae, ...), or null.
inline const nlohmann::json* report_component(const nlohmann::json& report,
                                              const std::string& name) {
  for (const auto& c : report["components"])
    if (c["component"] == name) return &c;
  return nullptr;
}

// One run of the binary by a CheckWorld (ledger_cli.hpp's is LedgerCliRun: both are in
// pedigree::testing and linked into one test binary).
struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json json;  // stdout parsed when it is JSON
};

enum class Signer { k_trusted, k_untrusted };

class CheckWorld {
public:
  CheckWorld() {
    auto l = ledger::Ledger::init(m_dir / "ledger", "check-test");
    EXPECT_TRUE(l) << (l ? "" : l.error().message());
    m_ledger.emplace(std::move(*l));
    m_trusted.emplace(std::move(*crypto::PrivateKey::generate()));
    m_untrusted.emplace(std::move(*crypto::PrivateKey::generate()));
    // The trusted key defines the test's references (base, NAI): reference scope.
    nlohmann::json preds = {"model", "lineage", "fingerprint", "claim", "revocation", "reference"};
    nlohmann::json trust = {{"keys", {{m_trusted->keyid(), {{"for", preds}}}}}};
    write_text(m_dir / "config" / "pedigree" / "trust.json", trust.dump());
  }

  const TempDir& dir() const { return m_dir; }
  std::filesystem::path ledger_dir() const { return m_ledger->dir(); }
  const std::string& trusted_keyid() const { return m_trusted->keyid(); }

  // Attests a model event for `label` (subject: `sha` or sha_of_label(label)).
  std::string model(const std::string& label, const std::string& role = "",
                    const std::string& published = "", nlohmann::json hashes = nullptr,
                    Signer signer = Signer::k_trusted, const std::string& sha = "") {
    ledger::Statement st;
    st.subject.sha256 = sha.empty() ? sha_of_label(label) : sha;
    st.subject.name = label + ".safetensors";
    st.kind = ledger::PredicateKind::k_model;
    st.predicate = {{"title", label}, {"file_name", label + ".safetensors"}};
    if (!role.empty()) st.predicate["role"] = role;
    if (!published.empty()) st.predicate["published"] = published;
    if (!hashes.is_null()) st.predicate["hashes"] = hashes;
    return attest(st, signer);
  }

  std::string lineage(const std::string& child, const std::vector<Parent>& parents,
                      Signer signer = Signer::k_trusted, const std::string& child_sha = "") {
    ledger::Statement st;
    st.subject.sha256 = child_sha.empty() ? sha_of_label(child) : child_sha;
    st.subject.name = child + ".safetensors";
    st.kind = ledger::PredicateKind::k_lineage;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : parents) {
      const bool raw = p.label.starts_with("sha:");
      nlohmann::json q = {{"digest", {{"sha256", raw ? p.label.substr(4) : sha_of_label(p.label)}}},
                          {"relation", p.relation}};
      if (!raw) q["name"] = p.label;
      if (!p.weight.empty()) q["weight"] = p.weight;
      list.push_back(q);
    }
    st.predicate = {{"parents", list}, {"method", "weighted-sum"}, {"basis", "author-statement"}};
    return attest(st, signer);
  }

  std::string claim(const std::string& label, const std::string& contains,
                    Signer signer = Signer::k_trusted) {
    ledger::Statement st;
    st.subject.sha256 = sha_of_label(label);
    st.subject.name = label + ".safetensors";
    st.kind = ledger::PredicateKind::k_claim;
    st.predicate = {{"contains_nai", contains}, {"basis", "test claim"}};
    return attest(st, signer);
  }

  std::string revoke(const std::string& label, const std::string& event_id,
                     Signer signer = Signer::k_trusted) {
    ledger::Statement st;
    st.subject.sha256 = sha_of_label(label);
    st.kind = ledger::PredicateKind::k_revocation;
    st.predicate = {{"event", event_id}, {"reason", "mistaken recipe"}};
    return attest(st, signer);
  }

  std::string attest(const ledger::Statement& st, Signer signer) {
    return attest_as(signer == Signer::k_trusted ? *m_trusted : *m_untrusted, st);
  }

  // Signs `st` with a key of the test's own (e.g. an attacker's), publishing
  // the key in the ledger under `name`.
  std::string attest_as(const crypto::PrivateKey& key, const ledger::Statement& st,
                        const std::string& name = "Tester") {
    auto r = m_ledger->add_event(key, {name, "tester@example.org"}, st);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? r->event_id : std::string();
  }

  // Runs `pedigree ARGS --ledger LEDGER` in the test's environment.
  CliRun run(const std::string& args, const std::string& extra_env = "") const {
    const auto err_path = m_dir / "stderr.txt";
    const std::string env =
        "HOME=" + shell_quote((m_dir / "home").string()) +
        " XDG_CONFIG_HOME=" + shell_quote((m_dir / "config").string()) +
        " XDG_DATA_HOME=" + shell_quote((m_dir / "data").string()) +
        " XDG_CACHE_HOME=" + shell_quote((m_dir / "cache").string()) +
        " PEDIGREE_BUNDLED_LEDGER=" + shell_quote((m_dir / "no-bundled-ledger").string()) + " " +
        extra_env + " ";
    auto r =
        run_command(env + shell_quote(PEDIGREE_BINARY) + " " + args + " --ledger " +
                    shell_quote(ledger_dir().string()) + " 2>" + shell_quote(err_path.string()));
    CliRun out{r.exit_code, r.output, read_text(err_path), nullptr};
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    if (!j.is_discarded()) out.json = std::move(j);
    return out;
  }

  CliRun check(const std::string& targets) const { return run("check --json " + targets); }

private:
  TempDir m_dir;
  std::optional<ledger::Ledger> m_ledger;
  std::optional<crypto::PrivateKey> m_trusted, m_untrusted;
};

}  // namespace pedigree::testing
