// The checks of fuzz/input_checks.hpp, compiled once (into the fuzz targets' library and
// into the test binary) rather than in every fuzz target.
#include "fuzz/input_checks.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/crypto/dsse.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/fingerprint/units.hpp"
#include "pedigree/folder/a1111_cache.hpp"
#include "pedigree/formats/recipes.hpp"
#include "pedigree/hash/identifier.hpp"
#include "pedigree/hints/hints.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/ledger_json.hpp"
#include "pedigree/pictures/image_metadata.hpp"
#include "pedigree/sync/tree_check.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::fuzz {
namespace {

std::string_view as_text(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::optional<std::string> one_line(std::string_view where, const std::string& message) {
  if (message.empty()) return std::string(where) + ": empty error message";
  if (message.find('\n') != std::string::npos) {
    return std::string(where) + ": multi-line error: " + message;
  }
  return std::nullopt;
}

// A whole picture file (PNG text chunks, JPEG EXIF/COM, WebP EXIF).
std::optional<std::string> check_image(ByteView file) {
  (void)pictures::detect_image_format(file);
  auto meta = pictures::read_image_metadata(file, "fuzz.png");
  if (!meta) return one_line("read_image_metadata", meta.error().message());
  for (const auto& text : {meta->parameters, meta->comfy_prompt, meta->comfy_workflow}) {
    if (text.size() > pictures::k_max_image_text) return "a text field exceeds k_max_image_text";
  }
  return std::nullopt;
}

// The text inside a picture: A1111 parameters, ComfyUI JSON, EXIF UserComment.
std::optional<std::string> check_image_text(ByteView bytes) {
  std::vector<std::string> warnings;
  (void)pictures::a1111_resources(pictures::parse_a1111_parameters(as_text(bytes)), warnings);
  (void)pictures::swarmui_resources(as_text(bytes));
  (void)pictures::decode_user_comment(bytes);
  auto models = pictures::comfyui_checkpoints(as_text(bytes), "fuzz prompt");
  if (!models) return one_line("comfyui_checkpoints", models.error().message());
  return std::nullopt;
}

// What a user pastes (hash::classify_identifier): a value or a one-line
// error; a classified AIR or Hugging Face repository reads back the same
// from its normalized form.
std::optional<std::string> check_identifier(ByteView bytes) {
  auto id = hash::classify_identifier(as_text(bytes));
  if (!id) return one_line("classify_identifier", id.error().message());
  if (id->kind == hash::IdentifierKind::k_air || id->kind == hash::IdentifierKind::k_hf_repo) {
    auto again = hash::classify_identifier(
        id->kind == hash::IdentifierKind::k_air ? id->normalized : "hf:" + id->normalized);
    if (!again || again->normalized != id->normalized)
      return "normalized identifier '" + id->normalized + "' does not read back";
  }
  return std::nullopt;
}

// A hint read from a site's document: an error, or a hint whose every hash
// is lower-case hex (what check matches against) and whose site is set.
std::optional<std::string> check_hint(const Result<hints::Hint>& hint, const char* where) {
  if (!hint) return one_line(where, hint.error().message());
  for (const auto& f : hint->files)
    for (const auto& [kind, value] : f.hashes)
      if (value.empty() || value.find_first_not_of("0123456789abcdef") != std::string::npos)
        return std::string(where) + ": hash " + kind + " '" + value + "' is not lower-case hex";
  if (hint->site.empty()) return std::string(where) + ": no site";
  return std::nullopt;
}

// Civitai's model-version JSON (pedigree import civitai).
std::optional<std::string> check_civitai(ByteView bytes) {
  return check_hint(hints::parse_civitai_version(as_text(bytes), "fuzz.json"),
                    "parse_civitai_version");
}

// A Hugging Face model card's YAML front matter (pedigree import hf).
std::optional<std::string> check_hf_card(ByteView bytes) {
  auto hint = hints::parse_hf_model_card(as_text(bytes), "README.md");
  if (hint && !hint->relation.empty() && hint->base_models.empty())
    return "a base_model_relation without base_model was accepted";
  return check_hint(hint, "parse_hf_model_card");
}

std::optional<std::string> check_recipes(ByteView bytes) {
  auto report = formats::decode_recipes(metadata_from_bytes(bytes));
  for (const auto& recipe : report.recipes) {
    if (recipe.parents.size() > formats::k_max_recipe_parents) return "more parents than the limit";
    for (const auto& p : recipe.parents) {
      if (!p.sha256.empty() && !ledger::is_sha256_hex(p.sha256)) {
        return "parent sha256 is not 64 lower-case hex: " + p.sha256;
      }
      if (!p.block_weights.empty() && p.block_weights.size() != 26) {
        return "block weights of size " + std::to_string(p.block_weights.size());
      }
    }
  }
  for (const auto& problem : report.problems) {
    if (problem.message.empty()) return "empty problem message for key " + problem.key;
  }
  return std::nullopt;
}

// A ledger event file: a DSSE envelope in canonical JSON, and its statement.
std::optional<std::string> check_dsse(ByteView bytes) {
  auto envelope = crypto::parse_envelope(as_text(bytes), "fuzz.json", 1u << 20);
  if (!envelope) return one_line("parse_envelope", envelope.error().message());
  if (crypto::serialize_envelope(*envelope) != as_text(bytes)) {
    return "an accepted envelope does not re-serialize to its bytes";
  }
  auto statement = ledger::parse_statement(envelope->payload, "fuzz.json");
  if (!statement) return one_line("parse_statement", statement.error().message());
  return std::nullopt;
}

// A ledger's public key file (keys/<keyid>.json, from whoever the ledger was cloned
// from): a self-signed DSSE envelope holding a key/v1 record. The path names the key
// of the seed (the project key), so mutated keys also reach the id check; an accepted
// file must name that key.
std::optional<std::string> check_key(ByteView bytes) {
  auto record = ledger::verify_key_file(k_key_seed_path, as_text(bytes));
  if (!record) return one_line("verify_key_file", record.error().message());
  if ("keys/" + record->key.keyid() + ".json" != k_key_seed_path) {
    return "an accepted key file names another key";
  }
  return std::nullopt;
}

// LEDGER.json (it arrives with every clone and sync): an accepted file names
// format 1, its pinned keys are SHA-256 hex, and what pedigree writes for it
// reads back the same.
std::optional<std::string> check_ledger_json(ByteView bytes) {
  auto info = ledger::parse_ledger_json(as_text(bytes), "fuzz LEDGER.json");
  if (!info) return one_line("parse_ledger_json", info.error().message());
  if (info->format != ledger::k_ledger_format) return "an accepted LEDGER.json of another format";
  for (const auto& pin : info->pinned_keys)
    if (!ledger::is_sha256_hex(pin.keyid)) return "an accepted pin whose keyid is not hex";
  auto again = ledger::parse_ledger_json(ledger::ledger_json_text(*info), "fuzz rewritten");
  if (!again)
    return "LEDGER.json as pedigree writes it does not read back: " + again.error().message();
  if (again->name != info->name || again->pinned_keys.size() != info->pinned_keys.size())
    return "LEDGER.json does not survive being written and read";
  for (std::size_t i = 0; i < info->pinned_keys.size(); ++i) {
    const auto& a = info->pinned_keys[i];
    const auto& b = again->pinned_keys[i];
    if (a.keyid != b.keyid || a.predicates != b.predicates || a.reference != b.reference)
      return "a pinned key changes when LEDGER.json is written and read";
  }
  return std::nullopt;
}

// AUTOMATIC1111's cache.json (folder/a1111_cache.hpp), read by `scan` from a
// WebUI install: an accepted file keeps only checkpoint entries, each with a
// SHA-256 of 64 lower-case hex digits and a finite mtime.
std::optional<std::string> check_a1111_cache(ByteView bytes) {
  auto cache = folder::A1111Cache::parse(as_text(bytes), "/fuzz/install", "fuzz cache.json");
  if (!cache) return one_line("A1111Cache::parse", cache.error().message());
  for (const auto& [key, entry] : cache->entries()) {
    if (!key.starts_with("checkpoint/")) return "an accepted entry that is not a checkpoint's";
    if (!ledger::is_sha256_hex(entry.sha256)) return "an accepted SHA-256 that is not lower hex";
    if (!std::isfinite(entry.mtime)) return "an accepted mtime that is not finite";
  }
  return std::nullopt;
}

// An in-toto statement (an event's payload): parse + validate + re-serialize.
std::optional<std::string> check_event(ByteView bytes) {
  auto statement = ledger::parse_statement(as_text(bytes), "fuzz event");
  if (!statement) return one_line("parse_statement", statement.error().message());
  if (!ledger::is_sha256_hex(statement->subject.sha256)) return "subject sha256 not hex";
  auto payload = ledger::statement_payload(*statement);
  if (!payload) return "an accepted statement cannot be serialized: " + payload.error().message();
  // (An empty subject name is written back as "sha256:<hex>".)
  if (!statement->subject.name.empty() && *payload != as_text(bytes)) {
    return "an accepted statement does not re-serialize to its bytes";
  }
  return std::nullopt;
}

// A .fp file. The fuzzer's bytes get a correct SHA-256 trailer first, so the
// mutations reach the fields instead of stopping at the checksum.
std::optional<std::string> check_fp(ByteView bytes) {
  std::vector<std::uint8_t> file(bytes.begin(), bytes.end());
  if (file.size() >= 32 + 8) {
    auto digest = crypto::sha256(ByteView(file.data(), file.size() - 32));
    std::copy(digest.begin(), digest.end(), file.end() - 32);
  }
  auto fp = fingerprint::parse(ByteView(file.data(), file.size()));
  if (!fp) return one_line("fingerprint::parse", fp.error().message());
  std::string again = fingerprint::serialize(*fp);
  auto reparsed = fingerprint::parse(
      ByteView(reinterpret_cast<const std::uint8_t*>(again.data()), again.size()));
  if (!reparsed)
    return "a parsed fingerprint re-serializes unreadably: " + reparsed.error().message();
  if (reparsed->tensors.size() != fp->tensors.size()) return "re-serialization lost tensors";
  return std::nullopt;
}

// A .units file (a base's unit signatures in the local reference store). As
// for .fp files, the bytes get a correct SHA-256 trailer first; an accepted
// file reads back to itself once re-serialized, and aligning it with itself
// moves no unit that matched clearly.
std::optional<std::string> check_units(ByteView bytes) {
  std::vector<std::uint8_t> file(bytes.begin(), bytes.end());
  if (file.size() >= 32 + 12) {
    auto digest = crypto::sha256(ByteView(file.data(), file.size() - 32));
    std::copy(digest.begin(), digest.end(), file.end() - 32);
  }
  auto units = fingerprint::parse_units(ByteView(file.data(), file.size()));
  if (!units) return one_line("parse_units", units.error().message());
  // Magnitudes that are not finite and >= 0 read as 0, so the first re-serialization may
  // differ from the input; it must read back to itself.
  const std::string again = fingerprint::serialize_units(*units);
  auto reparsed = fingerprint::parse_units(
      ByteView(reinterpret_cast<const std::uint8_t*>(again.data()), again.size()));
  if (!reparsed)
    return "a parsed .units file re-serializes unreadably: " + reparsed.error().message();
  if (fingerprint::serialize_units(*reparsed) != again)
    return "a .units file does not read back to itself";
  std::size_t cells = 0;
  for (const auto& g : units->groups) cells += g.signature.size();
  if (cells <= (1u << 20)) {  // the all-pairs match is quadratic: bounded inputs only
    auto self = fingerprint::align_units(*units, *units);
    if (self.moved != 0 && self.ambiguous == 0) return "a unit moved when aligned with itself";
  }
  return std::nullopt;
}

// The bytes of a git tree object (without its "tree N\0" header).
std::optional<std::string> check_tree(ByteView bytes) {
  std::vector<sync::RawTreeEntry> entries;
  auto problem = sync::parse_canonical_tree(std::as_bytes(bytes), entries);
  if (problem) return one_line("parse_canonical_tree", problem->reason);
  std::string again;
  for (const auto& e : entries) {
    again += e.mode + ' ' + e.name + '\0';
    again.append(reinterpret_cast<const char*>(e.id.data()), e.id.size());
  }
  if (again != as_text(bytes)) return "an accepted tree does not re-serialize to its bytes";
  return std::nullopt;
}

// Canonical JSON (what every signed payload is), and ordinary JSON canonicalized.
std::optional<std::string> check_canonical_json(ByteView bytes) {
  if (auto loose = crypto::parse_json(as_text(bytes), "fuzz", 1u << 20)) {
    if (auto c = crypto::canonical_json(*loose); !c) {
      if (auto bad = one_line("canonical_json", c.error().message())) return bad;
    }
  } else if (auto bad = one_line("parse_json", loose.error().message())) {
    return bad;
  }
  auto value = crypto::parse_canonical_json(as_text(bytes), "fuzz", 1u << 20);
  if (!value) return one_line("parse_canonical_json", value.error().message());
  auto again = crypto::canonical_json(*value);
  if (!again) return "an accepted canonical value cannot be serialized: " + again.error().message();
  if (*again != as_text(bytes)) return "accepted canonical JSON does not re-serialize to its bytes";
  return std::nullopt;
}

}  // namespace

// Safetensors __metadata__ as "key NUL value NUL key NUL value ...": any keys,
// so the fuzzer reaches every recipe decoder (sd_merge_recipe, mecha_recipe, ...).
std::map<std::string, std::string> metadata_from_bytes(ByteView bytes) {
  std::map<std::string, std::string> metadata;
  std::string_view rest = as_text(bytes);
  while (!rest.empty()) {
    auto key_end = rest.find('\0');
    std::string key(rest.substr(0, key_end));
    rest = key_end == std::string_view::npos ? std::string_view() : rest.substr(key_end + 1);
    auto value_end = rest.find('\0');
    metadata[key] = std::string(rest.substr(0, value_end));
    rest = value_end == std::string_view::npos ? std::string_view() : rest.substr(value_end + 1);
  }
  return metadata;
}

namespace {
constexpr FuzzInput k_fuzz_inputs[] = {
    {"image", &check_image},
    {"image_text", &check_image_text},
    {"recipes", &check_recipes},
    {"dsse", &check_dsse},
    {"event", &check_event},
    {"key", &check_key},
    {"ledger_json", &check_ledger_json},
    {"fp", &check_fp},
    {"tree", &check_tree},
    {"canonical_json", &check_canonical_json},
    {"identifier", &check_identifier},
    {"civitai", &check_civitai},
    {"hf_card", &check_hf_card},
    {"a1111_cache", &check_a1111_cache},
    {"units", &check_units},
};

}  // namespace

std::span<const FuzzInput> fuzz_inputs() {
  return k_fuzz_inputs;
}

const FuzzInput* find_fuzz_input(std::string_view name) {
  for (const auto& input : k_fuzz_inputs) {
    if (input.name == name) return &input;
  }
  return nullptr;
}

}  // namespace pedigree::fuzz
