// pedigree hash FILE... [--json] [--only KINDS] [--no-cache]
// Every community hash and pedigree's weights hashes of each file, in one pass.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pedigree/examine/examine.hpp"

namespace pedigree::cli {
namespace {

struct HashCommandOptions {
  std::vector<std::string> files;
  bool json = false;
  std::string only;
  bool no_cache = false;
};

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
  return buf;
}

// A one-line progress bar on stderr: bytes, rate, ETA; redrawn at most 10 times a second.
class ProgressBar {
public:
  explicit ProgressBar(std::string_view label) : m_label(terminal_safe(label)) {}
  ~ProgressBar() {
    if (m_drawn) std::fprintf(stderr, "\r\033[K");
  }
  void update(std::uint64_t done, std::uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - m_last < std::chrono::milliseconds(100)) return;
    m_last = now;
    const double seconds = std::chrono::duration<double>(now - m_start).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    const int width = 24;
    const int filled = total ? static_cast<int>(width * static_cast<double>(done) / total) : width;
    std::fprintf(stderr, "\r\033[K%s [%s%s] %s / %s  %s/s  ETA %.0fs", m_label.c_str(),
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 human_bytes(done).c_str(), human_bytes(total).c_str(), human_bytes(rate).c_str(),
                 eta);
    m_drawn = true;
  }

private:
  std::string m_label;
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point m_last{};
  bool m_drawn = false;
};

void print_hashes(const hash::ModelHashes& h) {
  auto line = [](const char* key, const std::optional<std::string>& value) {
    std::cout << "  " << key << std::string(15 - std::string_view(key).size(), ' ')
              << (value ? terminal_safe(*value) : std::string("-")) << '\n';
  };
  std::cout << terminal_safe(h.file) << '\n';
  line("format", h.format);
  line("size", std::to_string(h.size));
  line("sha256", h.sha256);
  line("autov1", h.autov1);
  line("autov2", h.autov2);
  line("autov3", h.autov3);
  line("crc32", h.crc32);
  line("crc32_civitai", h.crc32_civitai);
  line("blake3", h.blake3);
  line("weights", h.weights);
  for (const auto& [name, value] : h.components) line(name.c_str(), value);
}

int run_hash(const HashCommandOptions& opts) {
  hash::HashOptions options;
  if (!opts.only.empty()) {
    auto sets = hash::parse_hash_sets(opts.only);
    if (!sets) return report_error(sets.error());
    options.sets = *sets;
  }
  std::optional<hash::HashCache> cache;
  if (!opts.no_cache) {
    if (auto path = hash::HashCache::default_path()) cache = hash::HashCache::load(*path);
  }
  int exit_code = k_exit_ok;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& file : opts.files) {
    std::optional<ProgressBar> bar;
    if (stderr_is_terminal()) {
      bar.emplace(file);
      options.scan.progress = [&bar](std::uint64_t done, std::uint64_t total) {
        bar->update(done, total);
      };
    }
    examine::ExamineOptions wanted;
    wanted.hashes = options;
    wanted.cache = cache ? &*cache : nullptr;
    auto examined = examine::examine_path(file, wanted);
    bar.reset();
    if (!examined) {
      int code = report_error(examined.error());
      if (exit_code == k_exit_ok) exit_code = code;
      continue;
    }
    const hash::ModelHashes& hashes = examined->hashes;
    if (hashes.weights_error && (options.sets & hash::k_set_weights)) {
      // The reason names the file already (reader errors start with the path).
      std::fprintf(stderr, "pedigree: warning: no weights hash: %s\n",
                   terminal_safe(hashes.weights_error->message()).c_str());
    }
    if (opts.json) {
      all.push_back(hash::to_json(hashes));
    } else {
      print_hashes(hashes);
    }
  }
  if (opts.json) print_json(all);
  if (cache) {
    if (auto saved = cache->save(); !saved) {
      std::fprintf(stderr, "pedigree: warning: hash cache not saved: %s\n",
                   terminal_safe(saved.error().message()).c_str());
    }
  }
  return exit_code;
}

}  // namespace

void setup_hash(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<HashCommandOptions>();
  auto* cmd = app.add_subcommand(
      "hash",
      "Every community hash (sha256, AutoV1/V2/V3, CRC32, BLAKE3) and pedigree's weights "
      "hashes of each file, reading it once");
  cmd->add_option("FILE", opts->files, "checkpoint files or diffusers folders")->required();
  cmd->add_flag("--json", opts->json, "print a JSON array, one object per FILE");
  cmd->add_option("--only", opts->only,
                  "comma-separated kinds to compute: sha256, autov1, autov2, autov3, sha256_12, "
                  "crc32, crc32_civitai, blake3, weights, components");
  cmd->add_flag("--no-cache", opts->no_cache, "ignore and do not update the hash cache");
  cmd->callback([opts, &exit_code] { exit_code = run_hash(*opts); });
}

}  // namespace pedigree::cli
