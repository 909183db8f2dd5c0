// One verdict for a whole picture from the verdicts of every resource it
// names (checkpoint, VAE, LoRAs, embeddings, hypernetworks).
//
// Fail closed: a picture reads `no-nai-found` only when it names a
// checkpoint and every resource it names reads `no-nai-found`; any resource
// that is unresolved or `unknown` makes the picture `unknown` (an unknown VAE
// may be the leaked animevae.pt; an unknown LoRA may be trained on NAI). A
// NAI-carrying resource makes the picture NAI whatever the others say, and
// the verdict names each such resource with its paths.
#pragma once

#include <vector>

#include "pedigree/lineage/resolve.hpp"
#include "pedigree/lineage/verdict.hpp"
#include "pedigree/pictures/image_metadata.hpp"

namespace pedigree::lineage {

// One resource of a picture, resolved and judged.
struct ResourceVerdict {
  pictures::ImageModelReference resource;
  std::string resolved_as;  // the identifier kind resolved ("hash", "name", "air"; "" if none)
  std::string sha256;       // the artifact decided on, "" unless exactly one trusted candidate
  std::string artifact_name;
  Verdict verdict;  // combine_candidates over its candidates, or `unknown` when unresolved
};

// "checkpoint", "VAE", "LoRA", "embedding", "hypernetwork" as the report writes them.
std::string resource_role_label(std::string_view role);

// The verdict for a resource the ledger could not resolve.
Verdict unresolved_resource_verdict(const pictures::ImageModelReference& resource);

// The picture's verdict (see the file comment). `resources` is not empty.
Verdict combine_resources(const std::vector<ResourceVerdict>& resources);

}  // namespace pedigree::lineage
