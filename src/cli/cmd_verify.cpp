// pedigree verify [PATH|--all] [--json] [--ledger DIR]: checks every file of
// a ledger's working tree (index/verify_ledger.hpp) or one event file, and
// reports counts and each failure with its path. Exit 0 when nothing is
// wrong, 6 when a signature fails or a key is unknown, 4 for malformed or
// stray files (docs/cli.md).
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/index/verify_ledger.hpp"

namespace pedigree::cli {
namespace {

using index::Outcome;

struct VerifyOptions {
  std::string path, ledger_dir;
  bool all = false, json = false;
};

constexpr Outcome k_outcomes[] = {
    Outcome::k_valid,       Outcome::k_untrusted, Outcome::k_revoked,   Outcome::k_bad_signature,
    Outcome::k_unknown_key, Outcome::k_malformed, Outcome::k_duplicate, Outcome::k_bad_file};

// Whether a file is listed one by one: every failure; untrusted and revoked
// events only with --all.
bool listed(const index::VerifiedFile& f, bool all) {
  if (f.outcome == Outcome::k_valid) return false;
  if (f.outcome == Outcome::k_untrusted || f.outcome == Outcome::k_revoked) return all;
  return true;
}

int run_verify(const VerifyOptions& o) {
  std::filesystem::path root;
  std::string only;  // one file's ledger-relative path, when PATH is a file
  if (!o.path.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(o.path, ec))) {
      return report_error(Error(ErrorCode::k_not_found, o.path + ": no such file or directory"));
    }
    auto found = index::find_ledger_root(o.path);
    if (!found) return report_error(found.error());
    root = *found;
    auto abs = std::filesystem::absolute(o.path).lexically_normal();
    if (!std::filesystem::is_directory(std::filesystem::symlink_status(abs, ec))) {
      only = abs.lexically_relative(root).generic_string();
    } else if (abs != root && abs.generic_string() + "/" != root.generic_string()) {
      only = abs.lexically_relative(root).generic_string() + "/";  // a sub-folder
    }
  } else {
    auto where = locate_ledger(o.ledger_dir);
    if (!where) return report_error(where.error());
    root = where->dir;
    if (where->is_default) {  // first use: the user's ledger starts as the bundled one
      auto created = ledger::Ledger::open_or_create(root, ledger::bundled_ledger_dir());
      if (!created) return report_error(created.error());
    }
    std::error_code ec;
    if (!std::filesystem::exists(root / "LEDGER.json", ec)) {
      return report_error(Error(ErrorCode::k_not_found,
                                root.string() + ": not a pedigree ledger (no LEDGER.json)"));
    }
  }
  auto policy = load_trust_policy();
  if (!policy) return report_error(policy.error());
  auto report = index::verify_ledger(root, *policy);
  if (!report) return report_error(report.error());
  std::vector<index::VerifiedFile> files;
  for (auto& f : report->files) {
    bool in_scope =
        only.empty() || f.path == only || (only.back() == '/' && f.path.starts_with(only));
    if (in_scope) files.push_back(f);
  }
  if (!only.empty() && only.back() != '/' && files.empty()) {
    return report_error(Error(ErrorCode::k_not_found, o.path + ": not an event or ledger file"));
  }
  index::LedgerVerification scoped{report->root, files};
  nlohmann::json counts = nlohmann::json::object();
  for (auto outcome : k_outcomes) counts[outcome_name(outcome)] = scoped.count(outcome);
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : files) {
      if (!listed(f, o.all) && !(o.all && f.outcome == Outcome::k_valid)) continue;
      list.push_back({{"path", f.path},
                      {"outcome", outcome_name(f.outcome)},
                      {"event", f.event_id},
                      {"signer", f.signer},
                      {"predicate", f.predicate},
                      {"message", f.message}});
    }
    print_json({{"ledger", root.string()},
                {"counts", counts},
                {"files", list},
                {"ok", !scoped.worst().has_value()}});
  } else {
    std::cout << "ledger " << terminal_safe(root.string()) << '\n';
    for (auto outcome : k_outcomes) {
      auto n = scoped.count(outcome);
      if (n || outcome == Outcome::k_valid || outcome == Outcome::k_untrusted ||
          outcome == Outcome::k_revoked) {
        std::cout << "  " << outcome_name(outcome)
                  << std::string(15 - outcome_name(outcome).size(), ' ') << n << '\n';
      }
    }
    for (const auto& f : files) {
      if (listed(f, o.all))
        std::cout << outcome_name(f.outcome) << ": " << terminal_safe(f.message) << '\n';
    }
  }
  auto worst = scoped.worst();
  if (!worst) return k_exit_ok;
  return *worst == ErrorCode::k_untrusted ? k_exit_untrusted : k_exit_bad_input;
}

}  // namespace

void setup_verify(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<VerifyOptions>();
  auto* cmd = app.add_subcommand(
      "verify", "Check every signature, key and file of a ledger's working tree (or one event)");
  cmd->add_option("PATH", o->path,
                  "an event file, a ledger directory or a folder in it "
                  "(default: the ledger)");
  cmd->add_flag("--all", o->all,
                "also list untrusted and revoked events (and, with --json, "
                "valid ones)");
  cmd->add_flag("--json", o->json, "print a JSON report");
  add_ledger_option(cmd, o->ledger_dir);
  cmd->callback([o, &exit_code] { exit_code = run_verify(*o); });
}

}  // namespace pedigree::cli
