// Load generator for tools/bench-serve: CONCURRENCY clients, each on its own
// keep-alive connection (cpp-httplib's client), send REQUESTS GETs in all,
// cycling through the paths of PATHS (one per line), and report throughput
// and latency percentiles as JSON. Any status other than 200 is an error.
// Usage: pedigree_bench_serve PORT CONCURRENCY REQUESTS PATHS [FIRST]
//   FIRST (default 0): the index in PATHS of the first request, so that
//   successive runs over a long PATHS file ask different things.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: %s PORT CONCURRENCY REQUESTS PATHS [FIRST]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const unsigned clients = static_cast<unsigned>(std::atoi(argv[2]));
  const std::size_t total = static_cast<std::size_t>(std::atoll(argv[3]));
  const std::size_t first = argc == 6 ? static_cast<std::size_t>(std::atoll(argv[5])) : 0;
  std::vector<std::string> paths;
  std::ifstream in(argv[4]);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) paths.push_back(line);
  if (paths.empty() || clients == 0) return 2;
  std::atomic<std::size_t> next{0}, errors{0};
  std::vector<std::vector<double>> latencies(clients);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_read_timeout(60, 0);
      for (std::size_t i = next++; i < total; i = next++) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = client.Get(paths[(first + i) % paths.size()]);
        const auto t1 = std::chrono::steady_clock::now();
        if (!r || r->status != 200) ++errors;
        latencies[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    });
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))];
  };
  std::printf(
      "{\"requests\": %zu, \"errors\": %zu, \"clients\": %u, \"seconds\": %.3f, "
      "\"requests_per_s\": %.1f, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, "
      "\"max_ms\": %.3f}\n",
      all.size(), errors.load(), clients, seconds, all.size() / seconds, pct(0.50), pct(0.90),
      pct(0.99), all.empty() ? 0.0 : all.back());
  return errors.load() == 0 ? 0 : 1;
}
