// A ledger in a fresh temporary directory with helpers to attest events and to
// write hand-made (possibly hostile) files into it.
#pragma once

#include <gtest/gtest.h>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/ledger/trust.hpp"
#include "pedigree/ledger/verify.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::testing {

// A deterministic fake artifact digest: SHA-256 of "artifact-<n>".
// A trust policy that trusts no key (no trust.json in `dir`).
inline ledger::TrustPolicy no_trust(const TempDir& dir) {
  return *ledger::TrustPolicy::load(dir / "trust.json", nullptr);
}

inline std::string artifact(int n) {
  return crypto::sha256_hex("artifact-" + std::to_string(n));
}

inline ledger::Statement model_statement(const std::string& sha, nlohmann::json hashes = {}) {
  ledger::Statement st;
  st.subject.sha256 = sha;
  st.subject.name = "model-" + sha.substr(0, 6) + ".safetensors";
  st.kind = ledger::PredicateKind::k_model;
  st.predicate = {{"file_name", st.subject.name}, {"format", "safetensors"}};
  if (!hashes.is_null()) st.predicate["hashes"] = hashes;
  return st;
}

inline ledger::Statement lineage_statement(const std::string& child,
                                           const std::vector<std::string>& parents) {
  ledger::Statement st;
  st.subject.sha256 = child;
  st.kind = ledger::PredicateKind::k_lineage;
  nlohmann::json ps = nlohmann::json::array();
  for (const auto& p : parents) {
    ps.push_back({{"digest", {{"sha256", p}}}, {"relation", "merge"}, {"weight", "0.5"}});
  }
  st.predicate = {{"parents", ps}, {"method", "weighted-sum"}, {"basis", "author-statement"}};
  return st;
}

inline ledger::Statement revocation_statement(const std::string& subject, const std::string& id) {
  ledger::Statement st;
  st.subject.sha256 = subject;
  st.kind = ledger::PredicateKind::k_revocation;
  st.predicate = {{"event", id}, {"reason", "test"}};
  return st;
}

class LedgerFixture {
public:
  LedgerFixture() {
    auto l = ledger::Ledger::init(m_dir / "ledger", "test");
    EXPECT_TRUE(l) << (l ? "" : l.error().message());
    m_ledger.emplace(std::move(*l));
    m_key.emplace(std::move(*crypto::PrivateKey::generate()));
  }
  ledger::Ledger& ledger() { return *m_ledger; }
  const crypto::PrivateKey& key() const { return *m_key; }
  std::filesystem::path dir() const { return m_ledger->dir(); }
  const TempDir& temp() const { return m_dir; }

  ledger::Ledger::AddResult attest(const ledger::Statement& st) {
    auto r = m_ledger->add_event(*m_key, {"Tester", "tester@example.org"}, st);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return *r;
  }
  // Writes `bytes` at the content-addressed path of `subject` (not committed).
  std::string write_event_bytes(const std::string& subject, const std::string& bytes) {
    std::string rel = ledger::event_path(subject, crypto::sha256_hex(bytes));
    write_text(dir() / rel, bytes);
    return rel;
  }
  // Commits everything in the working tree with the git CLI.
  void git_commit_all(const std::string& message) {
    auto r = run_command("cd " + shell_quote(dir().string()) +
                         " && git add -A && git -c user.name=t -c user.email=t@e commit -qm " +
                         shell_quote(message) + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }

private:
  TempDir m_dir;
  std::optional<ledger::Ledger> m_ledger;
  std::optional<crypto::PrivateKey> m_key;
};

}  // namespace pedigree::testing
