// Benchmark of issue 5 (run by tools/bench-ledger): generates a ledger of N
// artifacts with real signed events in a real git repository, then measures
// signing, a full index build (with signature verification), an incremental
// update of 1,000 events and hash lookups by kind. Each figure is printed
// with a baseline measured in the same run. Not built by default
// (`cmake --build build/release --target pedigree_bench_ledger`).
//
// The DAG: a few roots, then artifacts that are fine-tunes of one parent or
// merges of 2-3 parents, drawn mostly among recent artifacts, depth <= 20.
// Events per artifact: a model event with every hash kind, a lineage event
// (non-roots), and claims from other signers up to the requested total.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/index/index.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/ledger/verify.hpp"

namespace {

using namespace pedigree;
using Clock = std::chrono::steady_clock;

// CPU time of the whole process (every thread), user + system.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec * 1e-6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "bench-ledger: %s: %s\n", what.c_str(), e.message().c_str());
  std::exit(1);
}
template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r) die(what, r.error());
  return std::move(*r);
}

std::string hex_of(const std::string& seed, std::size_t digits) {
  return crypto::sha256_hex(seed).substr(0, digits);
}

struct Artifact {
  std::string sha256;
  int depth = 0;
  std::vector<int> parents;
};

// A DAG of `n` artifacts with `roots` roots and depth <= max_depth.
std::vector<Artifact> make_dag(int n, int roots, int max_depth, std::mt19937_64& rng) {
  std::vector<Artifact> dag(n);
  for (int i = 0; i < n; ++i) {
    dag[i].sha256 = crypto::sha256_hex("artifact-" + std::to_string(i));
    if (i < roots) continue;
    std::uniform_real_distribution<double> u(0, 1);
    int want = u(rng) < 0.3 ? 1 : (u(rng) < 0.7 ? 2 : 3);
    for (int tries = 0; (int)dag[i].parents.size() < want && tries < 50; ++tries) {
      // Mostly recent artifacts (a window of 2,000), sometimes any earlier one.
      int lo = u(rng) < 0.8 ? std::max(0, i - 2000) : 0;
      int p = std::uniform_int_distribution<int>(lo, i - 1)(rng);
      if (dag[p].depth + 1 > max_depth) continue;
      if (std::find(dag[i].parents.begin(), dag[i].parents.end(), p) != dag[i].parents.end())
        continue;
      dag[i].parents.push_back(p);
    }
    if (dag[i].parents.empty()) dag[i].parents.push_back(i % roots);
    for (int p : dag[i].parents) dag[i].depth = std::max(dag[i].depth, dag[p].depth + 1);
  }
  return dag;
}

nlohmann::json model_hashes(const Artifact& a) {
  const std::string& s = a.sha256;
  return {{"sha256", s},
          {"autov2", s.substr(0, 10)},
          {"sha256_12", s.substr(0, 12)},
          {"autov1", hex_of("v1" + s, 8)},
          {"autov3", hex_of("v3" + s, 64)},
          {"crc32", hex_of("crc" + s, 8)},
          {"blake3", hex_of("b3" + s, 64)},
          {"weights", hex_of("w" + s, 64)},
          {"unet", hex_of("u" + s, 64)}};
}

ledger::Statement model_event(const Artifact& a, int i) {
  ledger::Statement st;
  st.subject = {"model-" + std::to_string(i) + ".safetensors", a.sha256,
                hex_of("w" + a.sha256, 64)};
  st.kind = ledger::PredicateKind::k_model;
  st.predicate = {{"hashes", model_hashes(a)},
                  {"file_name", st.subject.name},
                  {"size", 2132626382},
                  {"format", "safetensors"},
                  {"architecture", "sd1"}};
  return st;
}

ledger::Statement lineage_event(const std::vector<Artifact>& dag, const Artifact& a) {
  ledger::Statement st;
  st.subject = {"", a.sha256, ""};
  st.kind = ledger::PredicateKind::k_lineage;
  nlohmann::json parents = nlohmann::json::array();
  for (int p : a.parents) {
    parents.push_back({{"digest", {{"sha256", dag[p].sha256}}},
                       {"relation", a.parents.size() == 1 ? "finetune" : "merge"},
                       {"weight", a.parents.size() == 1 ? "1" : "0.5"}});
  }
  st.predicate = {{"parents", parents},
                  {"method", a.parents.size() == 1 ? "finetune" : "weighted-sum"},
                  {"basis", "author-statement"}};
  return st;
}

ledger::Statement claim_event(const Artifact& a, int n) {
  ledger::Statement st;
  st.subject = {"", a.sha256, ""};
  st.kind = ledger::PredicateKind::k_claim;
  st.predicate = {{"contains_nai", n % 3 == 0 ? "yes" : (n % 3 == 1 ? "no" : "unknown")},
                  {"basis", "benchmark claim " + std::to_string(n)}};
  return st;
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void git_commit_all(const std::filesystem::path& dir, const std::string& message) {
  std::string cmd = "cd '" + dir.string() +
                    "' && git config gc.auto 0 && git add -A && git -c user.name=bench "
                    "-c user.email=bench@pedigree.invalid commit -qm '" +
                    message + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "bench-ledger: git commit failed\n");
    std::exit(1);
  }
}

// Bytes of the regular files under `dir`.
double tree_bytes(const std::filesystem::path& dir) {
  double total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) total += static_cast<double>(it->file_size(ec));
  }
  return total;
}

// The floor: bare Ed25519 verifications per second of a PAE of `pae_size`
// bytes on `threads` threads (4,000 each).
double verify_floor(std::size_t pae_size, unsigned threads) {
  auto key = must(crypto::PrivateKey::generate(), "key");
  std::string pae(pae_size, 'x');
  auto sig = must(key.sign(pae), "sign");
  ByteView sig_bytes(reinterpret_cast<const std::uint8_t*>(sig.data()), sig.size());
  const auto& pub = key.public_key();
  const int per_thread = 4000;
  auto start = Clock::now();
  std::vector<std::jthread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) (void)pub.verify(pae, sig_bytes);
    });
  }
  pool.clear();  // joins
  return threads * per_thread / seconds_since(start);
}

// A full index build of `repo` into a new index at `index_path`, as the first
// `pedigree` command after a copy without an index does it (every signature
// checked), then `pedigree index rebuild` of the same index (the signatures
// remembered), each beside the floor measured just before and after it.
int measure_rebuilds(const std::filesystem::path& dir, const std::filesystem::path& index_path) {
  auto repo = must(ledger::GitRepo::open(dir), "open repo");
  auto policy =
      must(ledger::TrustPolicy::load(index_path.string() + ".no-trust.json", nullptr), "policy");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(index_path.string() + suffix);
  }
  auto head = must(repo.head(), "head");
  std::size_t pae_size = 1000;
  for (const auto& e : must(repo.list_tree(*head), "list")) {
    if (ledger::classify_path(e.path).kind != ledger::EntryKind::k_event) continue;
    pae_size = must(repo.read_blob(e.oid, ledger::k_max_event_bytes), "read").size() * 3 / 4;
    break;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto idx = must(index::Index::open(index_path), "open index");
  for (const char* label :
       {"first build (every signature checked)", "rebuild (signatures remembered)"}) {
    double floor_before = verify_floor(pae_size, cores);
    auto t0 = Clock::now();
    double cpu0 = cpu_seconds();
    auto stats = must(idx.rebuild(repo, policy), "rebuild");
    double wall = seconds_since(t0), cpu = cpu_seconds() - cpu0;
    double floor_after = verify_floor(pae_size, cores);
    double floor = (floor_before + floor_after) / 2;
    std::printf(
        "%s: %zu events (%zu signatures remembered) in %.2f s = %.0f events/s; %.2f s of CPU = "
        "%.0f us per event\n  floor: bare Ed25519 verify of %zu bytes on %u threads: %.0f/s "
        "before, %.0f/s after; build time = %.2fx the floor's time for as many events\n",
        label, stats.events, stats.signatures_remembered, wall, stats.events / wall, cpu,
        cpu * 1e6 / stats.events, pae_size, cores, floor_before, floor_after,
        wall / (stats.events / floor));
  }
  std::printf("  one-thread floor: %.0f/s; load %s\n", verify_floor(pae_size, 1), [] {
    static char buf[64] = "?";
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
      if (!std::fgets(buf, sizeof buf, f)) buf[0] = 0;
      std::fclose(f);
    }
    return buf;
  }());
  return 0;
}

struct Signers {
  std::vector<crypto::PrivateKey> keys;
  ledger::LedgerInfo info;  // pins every signer, so events count as trusted
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--rebuild") return measure_rebuilds(argv[2], argv[3]);
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: pedigree_bench_ledger DIR ARTIFACTS EVENTS [INCREMENTAL]\n"
                 "       pedigree_bench_ledger --rebuild LEDGER INDEX\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int artifacts = std::atoi(argv[2]);
  const int total_events = std::atoi(argv[3]);
  const int incremental = argc > 4 ? std::atoi(argv[4]) : 1000;
  std::mt19937_64 rng(5);

  auto ledger = must(ledger::Ledger::init(dir, "bench"), "init");
  Signers signers;
  for (int k = 0; k < 50; ++k) {
    signers.keys.push_back(must(crypto::PrivateKey::generate(), "key"));
    signers.info.pinned_keys.push_back(
        {signers.keys.back().keyid(),
         {std::begin(ledger::k_all_predicates), std::end(ledger::k_all_predicates)},
         /*reference=*/true});
    write_file(
        dir / ledger::key_path(signers.keys.back().keyid()),
        must(ledger::make_key_file(signers.keys.back(), {"Signer " + std::to_string(k),
                                                         "s" + std::to_string(k) + "@bench"}),
             "key file"));
  }
  auto policy = must(ledger::TrustPolicy::load(dir / "no-trust.json", &signers.info), "policy");

  auto t0 = Clock::now();
  auto dag = make_dag(artifacts + incremental, 5, 20, rng);
  int max_depth = 0;
  for (const auto& a : dag) max_depth = std::max(max_depth, a.depth);
  std::printf("dag: %d artifacts (+%d for the incremental step), max depth %d, built in %.2f s\n",
              artifacts, incremental, max_depth, seconds_since(t0));

  // Events for artifacts [first, last): model + lineage, then claims up to `budget`.
  std::vector<std::string> sample;  // event files kept for the verify-only baseline
  std::vector<std::string> sample_paths;
  double sign_seconds = 0;
  std::size_t signed_events = 0;
  auto emit = [&](const ledger::Statement& st, std::size_t n) {
    const auto& key = signers.keys[n % signers.keys.size()];
    auto start = Clock::now();
    std::string bytes = must(ledger::sign_statement(st, key), "sign");
    sign_seconds += seconds_since(start);
    ++signed_events;
    std::string rel = ledger::event_path(st.subject.sha256, crypto::sha256_hex(bytes));
    write_file(dir / rel, bytes);
    if (sample.size() < 20000) {
      sample.push_back(bytes);
      sample_paths.push_back(rel);
    }
  };
  auto generate = [&](int first, int last, std::size_t budget) {
    std::size_t made = 0, n = 0;
    for (int i = first; i < last && made < budget; ++i, ++made) emit(model_event(dag[i], i), n++);
    for (int i = first; i < last && made < budget; ++i) {
      if (dag[i].parents.empty()) continue;
      emit(lineage_event(dag, dag[i]), n++);
      ++made;
    }
    for (std::size_t c = 0; made < budget; ++c, ++made) {
      int i = first + static_cast<int>(c % static_cast<std::size_t>(last - first));
      emit(claim_event(dag[i], static_cast<int>(c)), n + 7 * c + 1);
    }
  };
  t0 = Clock::now();
  generate(0, artifacts, static_cast<std::size_t>(total_events));
  double gen_seconds = seconds_since(t0);
  std::printf(
      "signed %zu events in %.2f s of signing: %.0f events/s (one thread); "
      "generation incl. writing files %.2f s\n",
      signed_events, sign_seconds, signed_events / sign_seconds, gen_seconds);
  // Baseline: the bare Ed25519 signature over a PAE of the same size.
  {
    std::string pae(sample.empty() ? 1000 : sample[0].size() * 3 / 4, 'x');
    auto start = Clock::now();
    const int n = 20000;
    for (int i = 0; i < n; ++i) (void)signers.keys[0].sign(pae);
    double s = seconds_since(start);
    std::printf(
        "  baseline: bare Ed25519 sign of %zu bytes: %.0f/s; attest signing = %.2fx of it\n",
        pae.size(), n / s, (signed_events / sign_seconds) / (n / s));
  }
  t0 = Clock::now();
  git_commit_all(dir, "bench: " + std::to_string(signed_events) + " events");
  std::printf("git add + commit of %zu event files: %.2f s; .git %.1f MB (loose objects)\n",
              signed_events, seconds_since(t0), tree_bytes(dir / ".git") / 1e6);
  // What a clone holds: packed objects. The index is built from the packed repository.
  t0 = Clock::now();
  if (std::system(("git -C '" + dir.string() + "' gc -q").c_str()) != 0) return 1;
  std::printf("git gc: %.2f s; .git %.1f MB packed; working tree %.1f MB in event files\n",
              seconds_since(t0), tree_bytes(dir / ".git") / 1e6, tree_bytes(dir / "events") / 1e6);

  // Full index build, including signature verification.
  auto repo = must(ledger::GitRepo::open(dir), "open repo");
  // Outside .git, so the repository size below is the ledger's alone.
  std::filesystem::path index_path = dir.string() + "-index.sqlite";
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(index_path.string() + suffix);
  }
  auto idx = must(index::Index::open(index_path), "open index");
  t0 = Clock::now();
  double cpu0 = cpu_seconds();
  auto stats = must(idx.rebuild(repo, policy), "rebuild");
  double full = seconds_since(t0);
  double full_cpu = cpu_seconds() - cpu0;
  std::printf(
      "full index build: %zu events in %.2f s = %.0f events/s (incl. verification); "
      "%.2f s of CPU on all threads = %.0f us of CPU per event\n",
      stats.events, full, stats.events / full, full_cpu, full_cpu * 1e6 / stats.events);
  // The floor: bare Ed25519 verification of a PAE of the same size, on every core.
  {
    std::string pae(sample.empty() ? 1000 : sample[0].size() * 3 / 4, 'x');
    auto sig = must(signers.keys[0].sign(pae), "sign");
    ByteView sig_bytes(reinterpret_cast<const std::uint8_t*>(sig.data()), sig.size());
    const auto& key = signers.keys[0].public_key();
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    auto verify_rate = [&](unsigned threads) {
      const int per_thread = 4000;
      auto start = Clock::now();
      std::vector<std::jthread> pool;
      for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
          for (int i = 0; i < per_thread; ++i) (void)key.verify(pae, sig_bytes);
        });
      }
      pool.clear();  // joins
      return threads * per_thread / seconds_since(start);
    };
    double one = verify_rate(1), all = verify_rate(cores);
    std::printf(
        "  floor: bare Ed25519 verify of %zu bytes: %.0f/s on one thread, %.0f/s on %u threads; "
        "index build = %.2fx of the all-core floor\n",
        pae.size(), one, all, cores, (stats.events / full) / all);
  }
  {
    ledger::KeyRing ring;
    for (const auto& k : signers.keys) ring.add({k.public_key(), {}});
    auto start = Clock::now();
    std::size_t ok = 0;
    for (std::size_t i = 0; i < sample.size(); ++i) {
      ok += ledger::verify_event_file(sample_paths[i], sample[i], ring).has_value();
    }
    double s = seconds_since(start);
    std::printf(
        "  baseline: verify_event_file alone, one thread: %.0f events/s (%zu/%zu ok); "
        "index build = %.2fx of it\n",
        sample.size() / s, ok, sample.size(), (stats.events / full) / (sample.size() / s));
  }
  {
    t0 = Clock::now();
    double cpu1 = cpu_seconds();
    auto again = must(idx.rebuild(repo, policy), "rebuild");
    double wall = seconds_since(t0);
    std::printf(
        "rebuild of the same index (%zu of %zu signatures remembered): %.2f s = %.0f events/s; "
        "%.2f s of CPU\n",
        again.signatures_remembered, again.events, wall, again.events / wall, cpu_seconds() - cpu1);
  }
  auto counts = must(idx.counts(), "counts");
  std::printf("  index counts: valid %zu, untrusted %zu, invalid %zu\n", counts.valid,
              counts.untrusted, counts.invalid);

  // Incremental: `incremental` new events (model + lineage of new artifacts) in one commit.
  sample.clear();
  generate(artifacts, artifacts + incremental, static_cast<std::size_t>(incremental));
  git_commit_all(dir, "bench: incremental");
  t0 = Clock::now();
  double inc_cpu0 = cpu_seconds();
  auto inc = must(idx.update(repo, policy), "update");
  std::printf("incremental update: %zu events (%s) in %.3f s (%.3f s of CPU)\n", inc.events,
              inc.rebuilt ? "REBUILT" : "incremental", seconds_since(t0), cpu_seconds() - inc_cpu0);

  // Lookups by each hash kind, on 2,000 random artifacts.
  const char* kinds[] = {"sha256", "autov2", "sha256_12", "autov1", "autov3",
                         "crc32",  "blake3", "weights",   "unet"};
  std::uniform_int_distribution<int> pick(0, artifacts - 1);
  for (const char* kind : kinds) {
    std::vector<double> us;
    std::size_t found = 0;
    for (int q = 0; q < 2000; ++q) {
      const Artifact& a = dag[pick(rng)];
      std::string value = model_hashes(a)[kind];
      auto start = Clock::now();
      auto hits = must(idx.lookup_hash(value, std::string_view(kind)), "lookup");
      us.push_back(seconds_since(start) * 1e6);
      found += std::any_of(hits.begin(), hits.end(),
                           [&](const index::HashMatch& h) { return h.sha256 == a.sha256; });
    }
    std::sort(us.begin(), us.end());
    std::printf("lookup %-9s median %7.1f us  p99 %7.1f us  (%zu/2000 found)\n", kind,
                us[us.size() / 2], us[us.size() * 99 / 100], found);
  }
  std::printf("index file: %.1f MB\n", std::filesystem::file_size(index_path) / 1e6);
  return 0;
}
