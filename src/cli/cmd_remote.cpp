// pedigree remote add NAME URL | remove NAME | list [--json]   [--ledger DIR]
// The remotes a ledger syncs with, kept in .git/pedigree/remotes.json.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/sync/remotes.hpp"
#include "pedigree/sync/url.hpp"

namespace pedigree::cli {
namespace {

struct RemoteCommandOptions {
  std::string name;
  std::string url;
  bool json = false;
  std::string ledger;
};

enum class RemoteAction { k_add, k_remove, k_list };

int run_remote(RemoteAction action, const RemoteCommandOptions& opts) {
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  auto store = sync::RemoteStore::load(sync::RemoteStore::path_for(ctx->ledger.dir()));
  if (!store) return report_error(store.error());
  if (action == RemoteAction::k_list) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : store->remotes()) {
      if (opts.json) {
        list.push_back({{"name", r.name},
                        {"url", sync::redact_url(r.url)},
                        {"branch", r.branch},
                        {"accepted_tip", r.accepted_tip ? nlohmann::json(*r.accepted_tip)
                                                        : nlohmann::json(nullptr)}});
      } else {
        std::cout << terminal_safe(r.name) << '\t' << terminal_safe(sync::redact_url(r.url)) << '\t'
                  << (r.accepted_tip ? terminal_safe(r.accepted_tip->substr(0, 12))
                                     : std::string("-"))
                  << '\n';
      }
    }
    if (opts.json) print_json(list);
    return k_exit_ok;
  }
  auto changed =
      action == RemoteAction::k_add ? store->add(opts.name, opts.url) : store->remove(opts.name);
  if (!changed) return report_error(changed.error());
  if (auto saved = store->save(); !saved) return report_error(saved.error());
  return k_exit_ok;
}

}  // namespace

void setup_remote(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RemoteCommandOptions>();
  auto* cmd = app.add_subcommand("remote", "Add, remove or list the remotes a ledger syncs with");
  cmd->require_subcommand(1);
  auto* add = cmd->add_subcommand("add", "Add a remote (nothing is fetched until `sync`)");
  add->add_option("NAME", opts->name, "remote name (letters, digits, '.', '_', '-')")->required();
  add->add_option("URL", opts->url, "path, file://, git://, ssh:// or https:// URL")->required();
  add_ledger_option(add, opts->ledger);
  add->callback([opts, &exit_code] { exit_code = run_remote(RemoteAction::k_add, *opts); });
  auto* remove = cmd->add_subcommand("remove", "Forget a remote and the tip accepted from it");
  remove->add_option("NAME", opts->name, "remote name")->required();
  add_ledger_option(remove, opts->ledger);
  remove->callback([opts, &exit_code] { exit_code = run_remote(RemoteAction::k_remove, *opts); });
  auto* list = cmd->add_subcommand("list", "List remotes: name, URL, last accepted tip");
  list->add_flag("--json", opts->json, "print a JSON array");
  add_ledger_option(list, opts->ledger);
  list->callback([opts, &exit_code] { exit_code = run_remote(RemoteAction::k_list, *opts); });
}

}  // namespace pedigree::cli
