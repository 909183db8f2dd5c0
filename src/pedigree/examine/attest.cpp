#include "pedigree/examine/attest.hpp"

#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/fingerprint/units.hpp"
#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/inspect.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::examine {
namespace {

// The relation a recipe's method implies: kohya's ss_* keys name the model a
// LoRA was trained on (trained-on: it carries none of its weights) or a
// full checkpoint was fine-tuned from.
std::string relation_for(const formats::Recipe& recipe, formats::Architecture architecture) {
  if (recipe.source == formats::RecipeSource::k_kohya)
    return architecture == formats::Architecture::k_lora ? "trained-on" : "finetune";
  const std::string m = to_lower_ascii(recipe.method);
  if (m.find("add") != std::string::npos && m.find("diff") != std::string::npos) {
    return "add-difference";
  }
  return "merge";
}

}  // namespace

Result<ModelFile> examine_model_file(const std::filesystem::path& path, hash::HashCache* cache,
                                     FingerprintPass fingerprint) {
  ExamineOptions options;
  options.cache = cache;
  options.fingerprint = fingerprint;
  PD_ASSIGN_OR_RETURN(Examination examined, examine_path(path, options));
  ModelFile out;
  out.facts.hashes = examined.hashes;
  if (!out.facts.hashes.sha256) {
    return not_supported(path.string() +
                         ": a diffusers folder has no single file SHA-256; attest its files");
  }
  out.facts.architecture = architecture_of(examined);
  if (examined.fingerprint) {
    out.fp_file = fingerprint::serialize(*examined.fingerprint);
  } else if (examined.fingerprint_error) {
    out.fp_error = examined.fingerprint_error->with_context(path.string());
  } else if (fingerprint == FingerprintPass::k_build && examined.why_not) {
    out.fp_error = examined.why_not;
  }
  return out;
}

Result<std::vector<std::string>> unit_signature_files(const std::filesystem::path& path,
                                                      std::size_t max_bytes) {
  PD_ASSIGN_OR_RETURN(auto checkpoint, formats::open_checkpoint(path));
  PD_ASSIGN_OR_RETURN(auto units, fingerprint::unit_signatures(checkpoint));
  return fingerprint::serialize_units_split(units, max_bytes);
}

Result<MetadataLineage> lineage_from_metadata(const std::filesystem::path& path,
                                              const ledger::Subject& child) {
  PD_ASSIGN_OR_RETURN(auto report, formats::inspect_path(path));
  MetadataLineage out;
  std::vector<ledger::ParentRef> parents;
  std::vector<std::string> methods;
  std::string relation;
  const formats::Recipe* flattened = nullptr;  // sd_merge_models: used only when nothing else is
  auto take = [&](const formats::Recipe& recipe) {
    std::string source(formats::recipe_source_name(recipe.source));
    for (const auto& rp : recipe.parents) {
      if (!ledger::is_sha256_hex(rp.sha256)) {
        out.skipped.push_back(source + " parent '" + rp.name + "'" +
                              (rp.short_hash.empty() ? "" : " (" + rp.short_hash + ")") +
                              ": no full SHA-256 stated");
        continue;
      }
      bool seen = false;
      for (const auto& p : parents) seen = seen || p.sha256 == rp.sha256;
      if (seen) continue;
      ledger::ParentRef ref{rp.sha256, "", rp.name.substr(0, 1024), "", {}};
      if (rp.weight) ref.weight = ledger::decimal_string(*rp.weight);
      if (rp.block_weights.size() == 26) {
        for (double w : rp.block_weights) ref.block_weights.push_back(ledger::decimal_string(w));
      }
      parents.push_back(std::move(ref));
    }
    methods.push_back(source + ": " + recipe.method);
    if (relation.empty() || relation == "merge")
      relation = relation_for(recipe, report.architecture);
  };
  for (const auto& recipe : report.recipes.recipes) {
    if (!recipe.subject_sha256.empty()) continue;  // how an ancestor was made, not this file
    if (recipe.source == formats::RecipeSource::k_a1111_models) {
      flattened = &recipe;
      continue;
    }
    take(recipe);
  }
  if (parents.empty() && flattened) take(*flattened);
  if (parents.size() > 16) {
    return invalid_argument(path.string() + ": metadata names " + std::to_string(parents.size()) +
                            " parents, more than the 16 a lineage event holds");
  }
  if (parents.empty()) {
    return not_found(path.string() +
                     ": no merge recipe in the metadata names a parent by its "
                     "full SHA-256");
  }
  ledger::LineageDetails details;
  details.relation = relation;
  details.basis = "file-metadata";
  std::string method;
  for (const auto& m : methods) method += (method.empty() ? "" : "; ") + m;
  details.method = method.substr(0, 64);
  if (method.size() > 64) details.note = "recipes: " + method.substr(0, 4000);
  PD_ASSIGN_OR_RETURN(out.statement, ledger::lineage_statement(child, parents, details));
  return out;
}

}  // namespace pedigree::examine
