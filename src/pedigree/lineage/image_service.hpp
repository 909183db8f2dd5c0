// Pictures made by NovelAI's own image service.
//
// NovelAI's service writes PNG text chunks `Software: NovelAI` and `Source:
// Stable Diffusion <CRC32>` (the CRC32 of the model file it ran: 81274D13 is
// NAI Diffusion Anime V1 full, the model whose weights leaked as
// animefull-latest; 1D44365E the curated one). Such a picture used NovelAI's
// model through NovelAI: it is not use of the leaked files, and the verdict
// says so (class `nai-official`, evidence kind `service`; docs/json/check.md).
// Like all picture metadata the marker is forgeable, so it is moderate
// evidence, and ignored when the picture also carries a local generator's
// parameters.
#pragma once

#include <optional>
#include <string>

#include "pedigree/lineage/verdict.hpp"
#include "pedigree/pictures/image_metadata.hpp"

namespace pedigree::lineage {

struct NovelAiService {
  std::string software;    // the Software text as written ("NovelAI")
  std::string source;      // the Source text as written ("Stable Diffusion 81274D13")
  std::string model_hash;  // the 8 hex digits of Source, upper case; "" when absent
  std::string model;       // the NovelAI model that hash denotes, "" when not a known one
};

// The NovelAI service marker of a picture: Software "NovelAI", or a Source
// naming one of NovelAI's known model hashes. nullopt when neither is there.
std::optional<NovelAiService> novelai_service(const pictures::ImageMetadata& meta);

// The verdict for a picture NovelAI's service made: `nai-official`, with a
// `service` evidence saying it is not leak use, and what is still unknown.
Verdict novelai_service_verdict(const NovelAiService& service);

}  // namespace pedigree::lineage
