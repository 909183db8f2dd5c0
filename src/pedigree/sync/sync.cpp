#include "pedigree/sync/sync.hpp"

#include <chrono>

#include "pedigree/ledger/recovery.hpp"
#include "pedigree/sync/commit_walk.hpp"
#include "pedigree/sync/incoming.hpp"
#include "pedigree/sync/object_bounds.hpp"
#include "pedigree/sync/remotes.hpp"
#include "pedigree/sync/url.hpp"
#include "pedigree/util/fault.hpp"

namespace pedigree::sync {
namespace {

// Seconds since `start`, and restarts it.
double lap(std::chrono::steady_clock::time_point& start) {
  auto now = std::chrono::steady_clock::now();
  double s = std::chrono::duration<double>(now - start).count();
  start = now;
  return s;
}

// The remote to use when none is named: the only one, else "origin".
Result<Remote> choose_remote(const RemoteStore& store, const std::string& name) {
  if (!name.empty()) {
    if (const Remote* r = store.find(name)) return *r;
    return not_found("no remote named '" + name + "' (see `pedigree remote list`)");
  }
  if (store.remotes().size() == 1) return store.remotes().front();
  if (const Remote* r = store.find("origin")) return *r;
  if (store.remotes().empty()) {
    return not_found("this ledger has no remote (add one with `pedigree remote add NAME URL`)");
  }
  return invalid_argument("this ledger has several remotes: name the one to sync with");
}

SyncReport& fail(SyncReport& report, SyncOutcome outcome, std::string message) {
  report.outcome = outcome;
  report.message = std::move(message);
  return report;
}

// Fetches and classifies the remote's answer; sets the report's outcome on failure.
Result<std::optional<FetchResult>> fetch_checked(ledger::GitRepo& repo, const Remote& remote,
                                                 const SyncOptions& options, LocalFetch local,
                                                 SyncReport& report) {
  auto fetched = fetch_branch(repo, remote.url, remote.branch,
                              options.progress ? &options.progress : nullptr, local);
  if (!fetched) {
    if (fetched.error().code() == ErrorCode::k_invalid_argument) {
      return std::unexpected(fetched.error());
    }
    fail(report, SyncOutcome::k_unreachable, fetched.error().message());
    return std::nullopt;
  }
  if (fetched->state == FetchResult::State::k_no_branch) {
    fail(report, SyncOutcome::k_not_a_ledger,
         redact_url(remote.url) + " is not a pedigree ledger (no branch '" + remote.branch + "')");
    return std::nullopt;
  }
  if (fetched->state == FetchResult::State::k_tip) {
    report.remote_tip = fetched->tip;
    PD_ASSIGN_OR_RETURN(bool ledger_json, has_ledger_json(repo, fetched->tip));
    if (!ledger_json) {
      fail(report, SyncOutcome::k_not_a_ledger,
           redact_url(remote.url) + " is not a pedigree ledger (no LEDGER.json at its tip)");
      return std::nullopt;
    }
  }
  return std::optional<FetchResult>(std::move(*fetched));
}

std::string merge_message(const Remote& remote, const std::string& tip) {
  return "sync: merge " + remote.name + " (" + tip.substr(0, 12) + ")\n\nremote " +
         redact_url(remote.url) + "\n";
}

Result<void> push_and_record(ledger::Ledger& ledger, RemoteStore& store, const Remote& remote,
                             const SyncOptions& options, SyncReport& report) {
  PD_ASSIGN_OR_RETURN(auto head, ledger.repo().head());
  if (!head) return {};
  if (report.remote_tip) {
    PD_ASSIGN_OR_RETURN(bool remote_has_it, ledger.repo().is_ancestor(*head, *report.remote_tip));
    if (remote_has_it) return {};
  }
  // What is pushed must verify on every other clone: each event added since
  // the remote's tip, with the keys HEAD's tree holds (never the working tree).
  std::vector<std::string> remote_has;
  if (report.remote_tip) remote_has.push_back(*report.remote_tip);
  PD_ASSIGN_OR_RETURN(auto keys, ledger::committed_keys(ledger.repo(), head));
  PD_ASSIGN_OR_RETURN(auto outgoing, verify_incoming(ledger.repo(), *head, remote_has, keys));
  if (!outgoing.offenses.empty()) {
    const auto& o = outgoing.offenses.front();
    fail(report, SyncOutcome::k_push_refused,
         "not pushed: local commit " + o.commit.substr(0, 12) + " " + o.path + ": " + o.reason +
             " (" + std::to_string(outgoing.offenses.size()) +
             " problem(s); nothing was sent; see `pedigree verify`)");
    return {};
  }
  auto pushed = push_branch(ledger.repo(), remote.url, remote.branch,
                            options.progress ? &options.progress : nullptr);
  if (!pushed) {
    fail(report, SyncOutcome::k_push_refused, pushed.error().message());
    return {};
  }
  report.pushed = true;
  PD_TRY(store.set_accepted_tip(remote.name, *head));
  return store.save();
}

}  // namespace

std::string_view outcome_name(SyncOutcome outcome) {
  switch (outcome) {
    case SyncOutcome::k_ok: return "ok";
    case SyncOutcome::k_rejected: return "rejected";
    case SyncOutcome::k_rewrite: return "rewrite";
    case SyncOutcome::k_unreachable: return "unreachable";
    case SyncOutcome::k_not_a_ledger: return "not-a-ledger";
    case SyncOutcome::k_unrelated: return "unrelated";
    case SyncOutcome::k_push_refused: return "push-refused";
  }
  return "?";
}

Result<SyncReport> sync_remote(ledger::Ledger& ledger, index::Index& index,
                               const ledger::TrustPolicy& policy, const std::string& name,
                               const SyncOptions& options) {
  const auto store_path = RemoteStore::path_for(ledger.dir());
  PD_ASSIGN_OR_RETURN(RemoteStore store, RemoteStore::load(store_path));
  PD_ASSIGN_OR_RETURN(Remote remote, choose_remote(store, name));
  SyncReport report;
  report.remote = remote.name;
  report.url = redact_url(remote.url);
  report.accepted_before = remote.accepted_tip;
  auto& repo = ledger.repo();
  {
    PD_ASSIGN_OR_RETURN(auto lock,
                        ledger::FileLock::acquire(ledger.lock_path(), options.lock_timeout_ms));
    PD_ASSIGN_OR_RETURN(report.recovered, complete_interrupted(ledger));
  }
  auto clock = std::chrono::steady_clock::now();
  // A local remote is read in place; its objects are copied once verified.
  PD_ASSIGN_OR_RETURN(auto fetched,
                      fetch_checked(repo, remote, options, LocalFetch::k_borrow, report));
  report.seconds.fetch = lap(clock);
  if (!fetched) return report;
  if (report.remote_tip) {
    const std::string& tip = *report.remote_tip;
    if (remote.accepted_tip) {
      // Bounds before work: is_ancestor lets libgit2 parse the new commits, so
      // their sizes are read from their headers first (commit_walk.hpp).
      PD_ASSIGN_OR_RETURN(auto walked, walk_new_commits(repo.native(), tip, {*remote.accepted_tip},
                                                        k_max_new_commits));
      if (!walked.refusal.empty()) {
        report.offenses.push_back({walked.refused, "(commit object)", walked.refusal});
        return fail(report, SyncOutcome::k_rejected,
                    "1 refused change(s) from remote '" + remote.name + "'; nothing was changed");
      }
      PD_ASSIGN_OR_RETURN(bool descends, repo.is_ancestor(*remote.accepted_tip, tip));
      if (!descends && options.rewrite == RewritePolicy::k_refuse) {
        return fail(report, SyncOutcome::k_rewrite,
                    "remote '" + remote.name + "' at " + tip.substr(0, 12) +
                        " does not descend from " + remote.accepted_tip->substr(0, 12) +
                        ", the tip last accepted from it (history rewritten or rolled back); "
                        "nothing was changed (--accept-rewrite merges it anyway, keeping "
                        "every local event)");
      }
    }
    PD_ASSIGN_OR_RETURN(auto lock,
                        ledger::FileLock::acquire(ledger.lock_path(), options.lock_timeout_ms));
    PD_ASSIGN_OR_RETURN(auto head, repo.head());
    report.head_before = head.value_or("");
    // The keys HEAD holds, not the working tree's: a key file a killed attest
    // left uncommitted is no key any other clone has.
    PD_ASSIGN_OR_RETURN(auto keys, ledger::committed_keys(repo, head));
    std::vector<std::string> known;
    if (head) known.push_back(*head);
    PD_ASSIGN_OR_RETURN(auto check, verify_incoming(repo, tip, known, keys));
    report.seconds.verify = lap(clock);
    report.commits_checked = check.commits;
    report.files_added = check.files_added;
    if (!check.offenses.empty()) {
      report.offenses = std::move(check.offenses);
      return fail(report, SyncOutcome::k_rejected,
                  std::to_string(report.offenses.size()) + " refused change(s) from remote '" +
                      remote.name + "'; nothing was changed");
    }
    if (fetched->borrowed) {
      PD_TRY(fetched->borrowed->import(tip, known));
      fetched->borrowed.reset();
      report.seconds.fetch += lap(clock);
    }
    auto merged = merge_verified(ledger, tip, options.author, merge_message(remote, tip));
    if (!merged) {
      if (merged.error().code() != ErrorCode::k_conflict) return std::unexpected(merged.error());
      return fail(report, SyncOutcome::k_unrelated, merged.error().message());
    }
    report.merge = merged->kind;
    // Verified once, here: the index update below does not check them again.
    PD_TRY(index.remember_signatures(check.verified_signatures));
    if (remote.accepted_tip != tip) {
      PD_TRY(store.set_accepted_tip(remote.name, tip));
      PD_TRY(store.save());
    }
    report.seconds.merge = lap(clock);
  } else {
    PD_ASSIGN_OR_RETURN(auto head, repo.head());
    report.head_before = head.value_or("");
  }
  lap(clock);
  if (options.push == PushMode::k_push) {
    PD_TRY(push_and_record(ledger, store, remote, options, report));
  }
  report.seconds.push = lap(clock);
  PD_ASSIGN_OR_RETURN(auto head_after, repo.head());
  report.head_after = head_after.value_or("");
  PD_ASSIGN_OR_RETURN(report.index, index.update(repo, policy));
  report.seconds.index = lap(clock);
  return report;
}

Result<SyncReport> clone_ledger(const std::string& url, const std::filesystem::path& dir,
                                const SyncOptions& options) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(dir, ec);
  if (existed && !std::filesystem::is_empty(dir, ec)) {
    return conflict(dir.string() + ": exists and is not empty");
  }
  SyncReport report;
  report.remote = "origin";
  report.url = redact_url(url);
  // Built in a staging directory renamed to `dir` at the end, so a refused,
  // failed or killed clone leaves `dir` as it was (ledger/recovery.hpp).
  PD_ASSIGN_OR_RETURN(const auto staging, ledger::make_staging_dir(dir));
  struct Cleanup {
    const std::filesystem::path& dir;
    bool keep = false;
    ~Cleanup() {
      std::error_code e;
      if (!keep) std::filesystem::remove_all(dir, e);
    }
  } cleanup{staging};
  PD_ASSIGN_OR_RETURN(ledger::GitRepo repo, ledger::GitRepo::init(staging));
  Remote remote;
  remote.name = "origin";
  remote.url = url;
  auto clock = std::chrono::steady_clock::now();
  // A local remote is read in place, as sync reads it, and its objects are
  // copied as one pack once verified (libgit2's local transport would build
  // a pack with delta search first: most of a clone's time); any other
  // remote's pack is downloaded.
  PD_ASSIGN_OR_RETURN(auto fetched,
                      fetch_checked(repo, remote, options, LocalFetch::k_borrow, report));
  report.seconds.fetch = lap(clock);
  if (!fetched) return report;
  if (!report.remote_tip) {
    return fail(report, SyncOutcome::k_not_a_ledger,
                redact_url(url) + " is empty: nothing to clone");
  }
  PD_ASSIGN_OR_RETURN(auto check, verify_incoming(repo, *report.remote_tip, {}, {}));
  report.seconds.verify = lap(clock);
  report.commits_checked = check.commits;
  report.files_added = check.files_added;
  if (!check.offenses.empty()) {
    report.offenses = std::move(check.offenses);
    return fail(report, SyncOutcome::k_rejected,
                std::to_string(report.offenses.size()) + " refused change(s) in " +
                    redact_url(url) + "; nothing was cloned");
  }
  if (fetched->borrowed) {
    PD_ASSIGN_OR_RETURN(std::size_t copied, fetched->borrowed->import(*report.remote_tip, {}));
    if (options.progress) {  // a local remote has no transfer of its own to show
      options.progress(TransferProgress{TransferProgress::Phase::k_fetch, copied, copied, 0});
    }
    fetched->borrowed.reset();
    report.seconds.fetch += lap(clock);
  }
  PD_TRY(check_out_first(repo, *report.remote_tip));
  {
    // Verified once, above: the first index build does not check them again.
    PD_ASSIGN_OR_RETURN(auto cloned, ledger::Ledger::open(staging));
    PD_ASSIGN_OR_RETURN(auto index, index::Index::open(cloned.index_path()));
    PD_TRY(index.remember_signatures(check.verified_signatures));
  }
  fault_point("clone: checked out");
  report.seconds.merge = lap(clock);
  PD_ASSIGN_OR_RETURN(RemoteStore store, RemoteStore::load(RemoteStore::path_for(staging)));
  PD_TRY(store.add(remote.name, url));
  PD_TRY(store.set_accepted_tip(remote.name, *report.remote_tip));
  PD_TRY(store.save());
  report.head_after = *report.remote_tip;
  report.merge = MergeKind::k_fast_forward;
  cleanup.keep = true;
  PD_TRY(ledger::publish_staging_dir(staging, dir));
  return report;
}

}  // namespace pedigree::sync
