// Not a test: the generator of the large ledger `tools/bench-check` measures
// `check HASH` against (disabled; the script runs it explicitly with
// --gtest_also_run_disabled_tests). A stopgap until tools/bench-ledger lands.
//
// Environment: PEDIGREE_BENCH_LEDGER_DIR (created; must not exist),
// PEDIGREE_BENCH_ARTIFACTS (default 100000). Shape: SD1.4 and SD1.5 bases,
// the NAI leak, 200 "popular" models (fine-tunes of SD1.5 or merges with
// NAI), background models (a model event, a two-parent lineage event over
// popular models and a claim: three events each), and a chain of 20 merges
// whose last model is the benchmark target. Events are signed with the
// library and committed in one git commit (the git CLI), which is how a
// cloned ledger arrives. Writes <dir>/target.txt and <dir>/trust.json.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/ledger/verify.hpp"
#include "support/ledger_support.hpp"

namespace pedigree {
namespace {

std::string bench_sha(std::size_t i) {
  return crypto::sha256_hex("bench-" + std::to_string(i));
}

class Writer {
public:
  Writer(std::filesystem::path dir, const crypto::PrivateKey& key)
      : m_dir(std::move(dir)), m_key(key) {}
  void write(const ledger::Statement& st) {
    auto bytes = ledger::sign_statement(st, m_key);
    ASSERT_TRUE(bytes) << bytes.error().message();
    testing::write_text(m_dir / ledger::event_path(st.subject.sha256, crypto::sha256_hex(*bytes)),
                        *bytes);
    ++m_events;
  }
  void model(std::size_t i, const std::string& title, const std::string& role = "",
             const std::string& published = "") {
    ledger::Statement st;
    st.subject = {title + ".safetensors", bench_sha(i), ""};
    st.kind = ledger::PredicateKind::k_model;
    st.predicate = {{"title", title}, {"file_name", title + ".safetensors"}};
    if (!role.empty()) st.predicate["role"] = role;
    if (!published.empty()) st.predicate["published"] = published;
    write(st);
  }
  void lineage(std::size_t child, const std::vector<std::pair<std::size_t, std::string>>& parents,
               const std::string& relation = "merge") {
    ledger::Statement st;
    st.subject = {"sha256:" + bench_sha(child), bench_sha(child), ""};
    st.kind = ledger::PredicateKind::k_lineage;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [p, w] : parents) {
      nlohmann::json q = {{"digest", {{"sha256", bench_sha(p)}}}, {"relation", relation}};
      if (!w.empty()) q["weight"] = w;
      list.push_back(std::move(q));
    }
    st.predicate = {{"parents", list}, {"method", "weighted-sum"}, {"basis", "author-statement"}};
    write(st);
  }
  void claim(std::size_t i) {
    ledger::Statement st;
    st.subject = {"sha256:" + bench_sha(i), bench_sha(i), ""};
    st.kind = ledger::PredicateKind::k_claim;
    st.predicate = {{"contains_nai", "unknown"}, {"basis", "bench"}};
    write(st);
  }
  std::size_t events() const { return m_events; }

private:
  std::filesystem::path m_dir;
  const crypto::PrivateKey& m_key;
  std::size_t m_events = 0;
};

TEST(BenchLedger, DISABLED_Generate) {
  const char* out = std::getenv("PEDIGREE_BENCH_LEDGER_DIR");
  ASSERT_NE(out, nullptr) << "set PEDIGREE_BENCH_LEDGER_DIR";
  const char* n_env = std::getenv("PEDIGREE_BENCH_ARTIFACTS");
  const std::size_t n = n_env ? std::stoul(n_env) : 100000;
  const std::size_t popular = 200, chain = 20;
  ASSERT_GT(n, 3 + popular + chain);
  const std::filesystem::path root(out);
  auto l = ledger::Ledger::init(root / "ledger", "bench");
  ASSERT_TRUE(l) << l.error().message();
  auto key = crypto::PrivateKey::generate();
  ASSERT_TRUE(key);
  auto key_file = ledger::make_key_file(*key, {"Bench", "bench@example.org"});
  ASSERT_TRUE(key_file);
  testing::write_text(l->dir() / ledger::key_path(key->keyid()), *key_file);
  Writer w(l->dir(), *key);
  w.model(0, "sd14", "base", "2022-08-22");
  w.model(1, "sd15", "base", "2022-10-20");
  w.model(2, "animefull-final-pruned", "nai-leak", "2022-10-06");
  std::mt19937_64 rng(1);
  for (std::size_t i = 3; i < 3 + popular; ++i) {
    w.model(i, "popular-" + std::to_string(i));
    if (i % 2)
      w.lineage(i, {{1, ""}}, "finetune");
    else
      w.lineage(i, {{1, "0.7"}, {2, "0.3"}});
  }
  auto pick = [&] { return 3 + rng() % popular; };
  const std::size_t first_chain = n - chain;
  for (std::size_t i = 3 + popular; i < first_chain; ++i) {
    w.model(i, "model-" + std::to_string(i));
    w.lineage(i, {{pick(), "0.5"}, {pick(), "0.5"}});
    w.claim(i);
  }
  for (std::size_t i = first_chain; i < n; ++i) {
    w.model(i, "chain-" + std::to_string(i - first_chain + 1));
    w.lineage(i, {{i == first_chain ? pick() : i - 1, "0.6"}, {pick(), "0.4"}});
  }
  auto commit = testing::run_command("cd " + testing::shell_quote(l->dir().string()) +
                                     " && git add -A && git -c user.name=bench -c "
                                     "user.email=bench@example.org commit -qm 'bench ledger' 2>&1");
  ASSERT_EQ(commit.exit_code, 0) << commit.output;
  nlohmann::json trust = {
      {"keys",
       {{key->keyid(), {{"for", {"model", "lineage", "fingerprint", "claim", "revocation", "reference"}}}}}}};
  testing::write_text(root / "config" / "pedigree" / "trust.json", trust.dump());
  testing::write_text(root / "target.txt", bench_sha(n - 1) + "\n");
  std::printf("ledger: %s\nartifacts: %zu\nevents: %zu\ntarget: %s (chain of %zu merges)\n",
              l->dir().c_str(), n, w.events(), bench_sha(n - 1).c_str(), chain);
}

}  // namespace
}  // namespace pedigree
