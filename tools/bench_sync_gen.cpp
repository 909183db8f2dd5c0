// Ledger generator for tools/bench-sync (built as pedigree_bench_sync_gen).
//   pedigree_bench_sync_gen base DIR N [PER_COMMIT]      a new ledger with N model events,
//                                                        PER_COMMIT (default 1000) per commit
//   pedigree_bench_sync_gen add DIR N SEED [PER_COMMIT]  N more events, PER_COMMIT (default 1:
//                                                        as `pedigree attest` makes them) per
//                                                        signed commit
// Events are real: signed by a fresh Ed25519 key whose key file is in the ledger.
// Each commit's tree is built from its parent's in the object database
// (git_tree_create_updated) and the branch moved, leaving the working tree and
// git index as they were (the benchmark only clones and pushes the result):
// with PER_COMMIT 1 the commits are those `attest` makes (same files, message,
// author and signature), without writing the files and a 100,000-entry git
// index per commit, which made generating them the slowest part of the run.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <git2.h>

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

int fail(const char* what) {
  const git_error* e = git_error_last();
  std::fprintf(stderr, "bench_sync_gen: %s: %s\n", what, e && e->message ? e->message : "?");
  return 1;
}

// A blob of `bytes` added at `path` in the tree `base` (hex): the new tree's id.
Result<std::string> tree_with(git_repository* repo, const std::string& base_hex,
                              const std::vector<std::pair<std::string, std::string>>& files) {
  git_oid base_oid;
  git_tree* raw = nullptr;
  if (git_oid_fromstr(&base_oid, base_hex.c_str()) != 0 ||
      git_tree_lookup(&raw, repo, &base_oid) != 0) {
    return io_error("cannot read tree " + base_hex);
  }
  std::unique_ptr<git_tree, void (*)(git_tree*)> base(raw, git_tree_free);
  std::vector<git_tree_update> updates(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& [path, bytes] = files[i];
    if (git_blob_create_from_buffer(&updates[i].id, repo, bytes.data(), bytes.size()) != 0) {
      return io_error("cannot write blob");
    }
    updates[i].action = GIT_TREE_UPDATE_UPSERT;
    updates[i].filemode = GIT_FILEMODE_BLOB;
    updates[i].path = path.c_str();
  }
  git_oid tree;
  if (git_tree_create_updated(&tree, repo, base.get(), updates.size(), updates.data()) != 0) {
    return io_error("cannot build tree");
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &tree);
  return std::string(hex);
}

int add(const std::string& dir, long n, const std::string& seed, long per_commit) {
  auto key = crypto::PrivateKey::generate();
  auto opened = ledger::GitRepo::open(dir);  // the working tree may be empty (--no-checkout)
  if (!opened) return fail(opened.error());
  auto& repo = *opened;
  auto signer = ledger::ssh_commit_signer(*key);
  const std::string author = "Adder", email = "adder@example.org";
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back(ledger::key_path(key->keyid()), *ledger::make_key_file(*key, {author, email}));
  for (long i = 0; i < n; ++i) {
    auto st = statement(seed, i);
    auto bytes = ledger::sign_statement(st, *key);
    if (!bytes) return fail(bytes.error());
    std::string event_id = crypto::sha256_hex(*bytes);
    files.emplace_back(ledger::event_path(st.subject.sha256, event_id), std::move(*bytes));
    if (static_cast<long>(files.size()) < per_commit && i + 1 < n) continue;
    auto head = repo.head();
    if (!head || !*head) return fail("no HEAD");
    auto base_tree = repo.tree_of(**head);
    if (!base_tree) return fail(base_tree.error());
    auto tree = tree_with(repo.native(), *base_tree, files);
    if (!tree) return fail(tree.error());
    std::string message = per_commit == 1
                              ? "attest model " + st.subject.sha256.substr(0, 12) + "\n\nevent " +
                                    event_id + "\nkey " + key->keyid() + "\n"
                              : "bench: " + std::to_string(i + 1) + " events\n";
    auto commit = repo.create_commit(*tree, {**head}, author, email, message, &signer);
    if (!commit) return fail(commit.error());
    if (auto moved = repo.advance_head(*head, *commit); !moved) return fail(moved.error());
    files.clear();
  }
  return 0;
}

}  // namespace

// A new ledger (its root commit holds LEDGER.json) with `n` events.
int base(const std::string& dir, long n, long per_commit) {
  auto key = crypto::PrivateKey::generate();
  auto l = ledger::Ledger::init(dir, "bench", &*key);
  if (!l) return fail(l.error());
  return add(dir, n, "base", per_commit);
}

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "base" && (argc == 4 || argc == 5)) {
    return base(argv[2], std::atol(argv[3]), argc == 5 ? std::atol(argv[4]) : 1000);
  }
  if (mode == "add" && (argc == 5 || argc == 6)) {
    return add(argv[2], std::atol(argv[3]), argv[4], argc == 6 ? std::atol(argv[5]) : 1);
  }
  std::fprintf(stderr,
               "usage: pedigree_bench_sync_gen base DIR N [PER_COMMIT] | add DIR N SEED "
               "[PER_COMMIT]\n");
  return 2;
}
