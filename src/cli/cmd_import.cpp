// pedigree import civitai FILE.json | import hf README.md|DIR [--repo OWNER/NAME]:
// what a community site says of a model, recorded beside the ledger as an
// unsigned hint (never a signed event; docs/formats/hints.md).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/hints/import.hpp"

namespace pedigree::cli {
namespace {

struct ImportCliOptions {
  std::string path;
  std::string repo;
  std::string ledger;
  bool json = false;
};

enum class Site { k_civitai, k_hf };

int run_site_import(Site site, const ImportCliOptions& opts) {
  auto ctx = open_ledger_context(opts.ledger);  // creates the user's ledger on first use
  if (!ctx) return report_error(ctx.error());
  auto result = site == Site::k_civitai ? hints::import_civitai(ctx->ledger.dir(), opts.path)
                                        : hints::import_hf(ctx->ledger.dir(), opts.path, opts.repo);
  if (!result) return report_error(result.error());
  if (opts.json) {
    print_json({{"hint", hints::to_json(result->hint)},
                {"replaced", result->replaced},
                {"store", result->store.string()}});
    return k_exit_ok;
  }
  const auto& h = result->hint;
  std::printf("%s an UNSIGNED hint from %s: %s\n", result->replaced ? "replaced" : "recorded",
              h.site.c_str(), terminal_safe(h.title).c_str());
  if (!h.civitai_version.empty())
    std::printf("  civitai model %s, version %s%s%s\n", h.civitai_model.c_str(),
                h.civitai_version.c_str(), h.model_type.empty() ? "" : ", type ",
                terminal_safe(h.model_type).c_str());
  for (const auto& b : h.base_models)
    std::printf("  base model: %s%s\n", terminal_safe(b).c_str(),
                h.relation.empty() ? "" : (" (" + terminal_safe(h.relation) + ")").c_str());
  for (const auto& f : h.files) {
    std::printf("  file %s:", terminal_safe(f.name).c_str());
    for (const auto& [kind, value] : f.hashes)
      std::printf(" %s %s", kind.c_str(), terminal_safe(value).c_str());
    std::printf("\n");
  }
  std::printf(
      "stored in %s (local; not signed, not synced). `pedigree check` shows it beside "
      "signed facts and never lets it decide.\n",
      terminal_safe(result->store.string()).c_str());
  return k_exit_ok;
}

}  // namespace

void setup_import(CLI::App& app, int& exit_code) {
  auto* sub = app.add_subcommand(
      "import", "Record what Civitai or Hugging Face says of a model, as an unsigned hint");
  sub->require_subcommand(1);
  auto civ = std::make_shared<ImportCliOptions>();
  auto* c = sub->add_subcommand("civitai",
                                "Civitai's model-version JSON (GET /api/v1/model-versions/{id})");
  c->add_option("FILE", civ->path, "the JSON as the API returned it")->required();
  c->add_flag("--json", civ->json, "print what was recorded as JSON");
  add_ledger_option(c, civ->ledger);
  c->callback([civ, &exit_code] { exit_code = run_site_import(Site::k_civitai, *civ); });
  auto hf = std::make_shared<ImportCliOptions>();
  auto* h = sub->add_subcommand(
      "hf", "a Hugging Face model card (README.md, or a downloaded repository folder)");
  h->add_option("PATH", hf->path, "README.md, or the folder holding it and the model files")
      ->required();
  h->add_option("--repo", hf->repo, "the repository the card belongs to (owner/name)");
  h->add_flag("--json", hf->json, "print what was recorded as JSON");
  add_ledger_option(h, hf->ledger);
  h->callback([hf, &exit_code] { exit_code = run_site_import(Site::k_hf, *hf); });
}

}  // namespace pedigree::cli
