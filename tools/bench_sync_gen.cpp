// Ledger generator for tools/bench-sync (built as pedigree_bench_sync_gen).
//   pedigree_bench_sync_gen base DIR N [PER_COMMIT]  a new ledger with N model events,
//                                                    PER_COMMIT (default 1000) per commit
//   pedigree_bench_sync_gen add DIR N SEED           N more events, one signed commit each,
//                                                    as `pedigree attest` makes them
// Events are real: signed by a fresh Ed25519 key whose key file is in the ledger.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/ledger/verify.hpp"

namespace {

using namespace pedigree;

ledger::Statement statement(const std::string& tag, long i) {
  ledger::Statement st;
  st.subject.sha256 = crypto::sha256_hex(tag + "-artifact-" + std::to_string(i));
  st.subject.name = "model-" + std::to_string(i) + ".safetensors";
  st.kind = ledger::PredicateKind::k_model;
  st.predicate = {{"file_name", st.subject.name},
                  {"format", "safetensors"},
                  {"hashes", {{"autov2", st.subject.sha256.substr(0, 10)}}}};
  return st;
}

int fail(const Error& e) {
  std::fprintf(stderr, "bench_sync_gen: %s\n", e.message().c_str());
  return 1;
}

int base(const std::string& dir, long n, long per_commit) {
  auto key = crypto::PrivateKey::generate();
  auto l = ledger::Ledger::init(dir, "bench", &*key);
  if (!l) return fail(l.error());
  crypto::KeyIdentity id{"Bench", "bench@example.org"};
  auto signer = ledger::ssh_commit_signer(*key);
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back(ledger::key_path(key->keyid()), *ledger::make_key_file(*key, id));
  for (long i = 0; i < n; ++i) {
    auto st = statement("base", i);
    auto bytes = ledger::sign_statement(st, *key);
    if (!bytes) return fail(bytes.error());
    files.emplace_back(ledger::event_path(st.subject.sha256, crypto::sha256_hex(*bytes)), *bytes);
    if (static_cast<long>(files.size()) >= per_commit || i + 1 == n) {
      auto c = l->repo().commit_files(files, "Bench", "bench@example.org",
                                      "bench: " + std::to_string(i + 1) + " events", &signer);
      if (!c) return fail(c.error());
      files.clear();
    }
  }
  return 0;
}

int add(const std::string& dir, long n, const std::string& seed) {
  auto key = crypto::PrivateKey::generate();
  auto l = ledger::Ledger::open(dir);
  if (!l) return fail(l.error());
  for (long i = 0; i < n; ++i) {
    auto r = l->add_event(*key, {"Adder", "adder@example.org"}, statement(seed, i));
    if (!r) return fail(r.error());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "base" && (argc == 4 || argc == 5)) {
    return base(argv[2], std::atol(argv[3]), argc == 5 ? std::atol(argv[4]) : 1000);
  }
  if (mode == "add" && argc == 5) return add(argv[2], std::atol(argv[3]), argv[4]);
  std::fprintf(stderr, "usage: pedigree_bench_sync_gen base DIR N [PER_COMMIT] | add DIR N SEED\n");
  return 2;
}
