#include "cli/sync_output.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>

#include "cli/common.hpp"
#include "pedigree/crypto/keystore.hpp"

namespace pedigree::cli {
namespace {

bool g_progress_drawn = false;

std::string short_id(const std::string& id) {
  return id.substr(0, 12);
}

const char* merge_name(sync::MergeKind kind) {
  switch (kind) {
    case sync::MergeKind::k_up_to_date: return "up-to-date";
    case sync::MergeKind::k_fast_forward: return "fast-forward";
    case sync::MergeKind::k_merge_commit: return "merge-commit";
  }
  return "?";
}

}  // namespace

sync::ProgressFn transfer_progress_line() {
  if (!stderr_is_terminal()) return {};
  // Redrawn at most 10 times a second, and never twice with the same figures
  // (libgit2 keeps reporting while it resolves deltas).
  struct Drawn {
    std::chrono::steady_clock::time_point at;
    std::size_t done = SIZE_MAX, total = 0;
  };
  auto drawn = std::make_shared<Drawn>();
  return [drawn](const sync::TransferProgress& p) {
    auto now = std::chrono::steady_clock::now();
    if (p.done_objects == drawn->done && p.total_objects == drawn->total) return;
    if (p.done_objects < p.total_objects && now - drawn->at < std::chrono::milliseconds(100)) {
      return;
    }
    *drawn = {now, p.done_objects, p.total_objects};
    const char* what = p.phase == sync::TransferProgress::Phase::k_fetch ? "fetching" : "pushing";
    std::fprintf(stderr, "\r\033[K%s: %zu/%zu objects, %.1f MiB", what, p.done_objects,
                 p.total_objects, static_cast<double>(p.bytes) / (1024.0 * 1024.0));
    g_progress_drawn = true;
  };
}

void end_progress_line() {
  if (g_progress_drawn) std::fprintf(stderr, "\r\033[K");
  g_progress_drawn = false;
}

std::shared_ptr<crypto::PrivateKey> merge_signing_key(crypto::KeyIdentity& identity) {
  auto store = crypto::KeyStore::open_default();
  if (!store) return nullptr;
  auto info = store->find("");
  if (!info || info->encrypted) return nullptr;
  auto key = store->load(*info, std::nullopt);
  if (!key) return nullptr;
  identity = info->identity;
  return std::make_shared<crypto::PrivateKey>(std::move(*key));
}

nlohmann::json sync_report_json(const sync::SyncReport& r) {
  auto opt = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json offenses = nlohmann::json::array();
  for (const auto& o : r.offenses) {
    offenses.push_back({{"commit", o.commit}, {"path", o.path}, {"reason", o.reason}});
  }
  nlohmann::json index = nullptr;
  if (r.index) {
    index = {{"rebuilt", r.index->rebuilt},
             {"commit", r.index->commit},
             {"files", r.index->files},
             {"events", r.index->events},
             {"signatures_remembered", r.index->signatures_remembered}};
  }
  return {{"remote", r.remote},
          {"url", r.url},
          {"outcome", sync::outcome_name(r.outcome)},
          {"message", r.message},
          {"recovered", r.recovered},
          {"remote_tip", opt(r.remote_tip)},
          {"accepted_before", opt(r.accepted_before)},
          {"head_before", r.head_before},
          {"head_after", r.head_after},
          {"merge", r.merge ? nlohmann::json(merge_name(*r.merge)) : nlohmann::json(nullptr)},
          {"commits_checked", r.commits_checked},
          {"files_added", r.files_added},
          {"offenses", offenses},
          {"pushed", r.pushed},
          {"index", index},
          {"seconds",
           {{"fetch", r.seconds.fetch},
            {"verify", r.seconds.verify},
            {"merge", r.seconds.merge},
            {"push", r.seconds.push},
            {"index", r.seconds.index}}}};
}

void print_sync_report(const sync::SyncReport& r, std::string_view verb) {
  if (r.recovered) std::cout << "completed an interrupted sync\n";
  if (r.outcome != sync::SyncOutcome::k_ok) {
    for (const auto& o : r.offenses) {
      std::fprintf(stderr, "pedigree: refused: commit %s: %s: %s\n",
                   terminal_safe(short_id(o.commit)).c_str(), terminal_safe(o.path).c_str(),
                   terminal_safe(o.reason).c_str());
    }
    std::fprintf(stderr, "pedigree: error: %s\n", terminal_safe(r.message).c_str());
    if (r.outcome != sync::SyncOutcome::k_push_refused) return;
  }
  std::cout << verb << " " << terminal_safe(r.remote) << " (" << terminal_safe(r.url) << "): ";
  if (!r.merge) {
    std::cout << "remote is empty";
  } else {
    std::cout << merge_name(*r.merge);
    if (!r.head_after.empty()) std::cout << " at " << terminal_safe(short_id(r.head_after));
  }
  std::cout << ", " << r.commits_checked << " commit(s) checked, " << r.files_added
            << " file(s) added";
  if (r.pushed) std::cout << ", pushed";
  std::cout << '\n';
}

int sync_exit_code(const sync::SyncReport& r) {
  switch (r.outcome) {
    case sync::SyncOutcome::k_ok: return k_exit_ok;
    case sync::SyncOutcome::k_rejected: return k_exit_untrusted;
    case sync::SyncOutcome::k_rewrite:
    case sync::SyncOutcome::k_unrelated:
    case sync::SyncOutcome::k_push_refused: return k_exit_conflict;
    case sync::SyncOutcome::k_unreachable: return k_exit_unreachable;
    case sync::SyncOutcome::k_not_a_ledger: return k_exit_not_a_ledger;
  }
  return k_exit_error;
}

}  // namespace pedigree::cli
