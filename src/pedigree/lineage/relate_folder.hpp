// `pedigree relate DIR|FILE...`: the model tree of a folder of checkpoints from
// their weights alone (fingerprint::relate), with the ledger's reference
// models (base, SD1.5, NAI, known independent fine-tunes) as further
// candidate parents, so a moderator sees which uploads are merges of which
// and which reach NAI, with shares.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/fingerprint/relate.hpp"
#include "pedigree/lineage/graph.hpp"
#include "pedigree/lineage/source.hpp"
#include "pedigree/scan/scan.hpp"

namespace pedigree::lineage {

struct RelateFolderOptions {
  scan::ScanOptions scan;                     // threads and progress of each file's pass
  std::optional<std::filesystem::path> base;  // the common base file (else the ledger's)
  fingerprint::RelateOptions relate;
  // Called before each file is read: (index, count, path).
  std::function<void(std::size_t, std::size_t, const std::filesystem::path&)> on_file;
};

// One model of the relation: a file of the folder or a ledger reference.
struct RelatedModel {
  std::string id;    // the file's path as given/found, or "ledger:<name>" for a reference
  std::string path;  // "" for a ledger reference
  std::string sha256;
  std::string name;  // the ledger's name when it knows the SHA-256, else the file name
  Role role = Role::k_none;
  bool reference = false;  // a ledger reference (not in the folder)
  bool nai = false;        // a NAI reference, or the same weights as one
  // NAI share reached through the edges found (sum over paths of the product of shares,
  // capped at 1); nullopt when no path reaches NAI.
  std::optional<double> nai_share;
};

struct FolderRelation {
  std::string base;                  // the base model used, by name
  std::vector<RelatedModel> models;  // as fingerprint::Relation's nodes
  fingerprint::Relation relation;
  std::vector<std::pair<std::string, std::string>> skipped;  // (path, why) not related
};

// Files of `inputs` (folders walked recursively, symlinked folders not followed;
// .safetensors, .ckpt, .pt, .pth and .fp), each read once; files that are not a
// whole SD1.x UNet (LoRAs, VAEs, pruned or unreadable files) are listed in
// `skipped` with the reason. NotFound when no base fingerprint is known (the
// ledger holds none and no --base was given); InvalidArgument when fewer than
// two models remain.
Result<FolderRelation> relate_files(FactSource& source,
                                    std::span<const std::filesystem::path> inputs,
                                    const RelateFolderOptions& options = {});

// The relation as a graph for to_dot / render_svg (graph.hpp): node ids are the
// models' ids, edges "merge" with the share as weight and "same-weights".
AncestryGraph relation_graph(const FolderRelation& relation);
// {"base", "models":[...], "edges":[...], "skipped":[...], "tensors_used"}: docs/json/relate.md.
nlohmann::json relation_json(const FolderRelation& relation);
// One paragraph per model: what explains it, with shares.
std::string relation_text(const FolderRelation& relation);

}  // namespace pedigree::lineage
