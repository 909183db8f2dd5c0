#include "pedigree/lineage/image_service.hpp"
#include "pedigree/util/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <utility>

namespace pedigree::lineage {
namespace {

constexpr std::string_view k_source_prefix = "Stable Diffusion ";

// Source hashes of NovelAI's image models as a public list gives them
// (github.com/6DammK9/nai-anime-pure-negative-prompt, ch02/nai_v3_sdxl.md;
// ledger/sources/models.json). 81274D13 and 1D44365E are also the CRC32s a
// community guide gives for the leaked animefull-latest / animesfw-latest.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> k_service_models = {{
    {"81274D13", "NAI Diffusion Anime V1 (Full), the model that leaked as animefull-latest"},
    {"1D44365E", "NAI Diffusion Anime V1 (Curated), the model that leaked as animesfw-latest"},
    {"1D09D794", "NAI Diffusion Furry (Beta V1.3)"},
    {"F1022D28", "NAI Diffusion Anime V2"},
    {"C1E1DE52", "NAI Diffusion Anime V3 (SDXL)"},
    {"9CC2F394", "NAI Diffusion Furry V3 (SDXL)"},
}};

constexpr double k_conf_service = 0.6;  // picture metadata: forgeable (as k_conf_metadata)

// The 8 hex digits after "Stable Diffusion " (or "Stable Diffusion XL "), upper case.
std::string source_hash(std::string_view source) {
  if (!source.starts_with(k_source_prefix)) return "";
  source.remove_prefix(k_source_prefix.size());
  if (source.starts_with("XL ")) source.remove_prefix(3);
  if (source.size() != 8 ||
      !std::all_of(source.begin(), source.end(), [](unsigned char c) { return std::isxdigit(c); }))
    return "";
  return to_upper_ascii(source);
}

}  // namespace

std::optional<NovelAiService> novelai_service(const pictures::ImageMetadata& meta) {
  NovelAiService s{meta.software, meta.source, source_hash(meta.source), ""};
  for (const auto& [hash, model] : k_service_models)
    if (s.model_hash == hash) s.model = model;
  if (meta.software != "NovelAI" && s.model.empty()) return std::nullopt;
  return s;
}

Verdict novelai_service_verdict(const NovelAiService& s) {
  Verdict v;
  v.verdict = VerdictClass::k_nai_official;
  v.confidence = k_conf_service;
  std::string which = s.model.empty() ? std::string("a NovelAI model") : s.model;
  v.summary = "made by NovelAI's own image service (" + which +
              "): NovelAI's model used through NovelAI, not the leaked files";
  v.licence_note =
      "a picture made on NovelAI's service falls under NovelAI's terms of service; it is not use "
      "of the leaked files, nor of the licensed weights";
  std::string marker = "Software: " + (s.software.empty() ? std::string("(none)") : s.software) +
                       ", Source: " + (s.source.empty() ? std::string("(none)") : s.source);
  v.evidence.push_back({"service", "moderate", true, true,
                        "the picture's PNG text says NovelAI's image service made it (" + marker +
                            ", " + which + "); picture metadata is forgeable",
                        "", ""});
  v.licence.reasons.emplace_back(
      "made on NovelAI's service: NovelAI's terms of service govern the picture's use, which "
      "pedigree does not decide");
  v.next_steps.emplace_back(
      "the service marker is the picture's own metadata and can be forged: if the picture was "
      "not downloaded from NovelAI, ask its author which model made it");
  return v;
}

}  // namespace pedigree::lineage
