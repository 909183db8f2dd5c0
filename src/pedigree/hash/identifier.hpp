// The one classifier for what a user pastes to name a model: every command
// (check, tree, graph, attest's --parent/subject, a picture's resource
// hashes, a recipe's parent) asks classify_identifier what the text is
// before looking anything up.
//
// Forms, tried in this order (surrounding whitespace ignored):
//   - a hash of any community form with or without a kind prefix
//     (classify_hash: "925997e9", "AutoV2: 6CE0161689", "0x<64 hex>", ...);
//   - a pasted A1111 settings fragment holding "Model hash: <hex>" anywhere
//     ("Steps: 20, ..., Model hash: 925997e9, Model: animefull"): the hash,
//     and the "Model:" name beside it when present;
//   - a Civitai AIR "urn:air:{ecosystem}:{type}:{source}:{id}[@{version}]"
//     (developer.civitai.com, "AIR"), or a civitai.com model URL
//     (".../models/{id}[...]?modelVersionId={version}") read as one;
//   - a Hugging Face repository "owner/name@revision", "hf:owner/name[@rev]"
//     or "https://huggingface.co/owner/name[/tree|blob/rev...]";
//   - anything else is a model name.
// A text that starts like one form but breaks its rules (an AIR with a
// missing field, a hash of the wrong length after a kind prefix) is an
// InvalidArgument naming what is wrong, never silently a name.
#pragma once

#include <string>
#include <string_view>

#include "pedigree/hash/hash_kind.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::hash {

enum class IdentifierKind { k_hash, k_air, k_hf_repo, k_name };
// "hash", "air", "hf", "name".
std::string_view identifier_kind_name(IdentifierKind kind);

// A Civitai AI Resource identifier. Fields are lower case; `ecosystem` and
// `type` are empty when the identifier came from a URL that does not say.
struct AirUrn {
  std::string ecosystem;  // "sd1", "sdxl", ...
  std::string type;       // "checkpoint", "lora", "embedding", "hypernet", "vae", ...
  std::string source;     // "civitai", "huggingface", ...
  std::string id;         // the model id; "?" when only the version is known ("*" in the URN)
  std::string version;    // the model-version id, "" when absent
  // "urn:air:<ecosystem>:<type>:<source>:<id>[@<version>]" ("*" for an empty field).
  std::string canonical() const;
  // "<source>:<id>[@<version>]": what identifies the resource whatever its ecosystem.
  std::string key() const;
};

// A Hugging Face repository and optional revision (branch, tag or commit).
struct HfRepo {
  std::string repo;      // "owner/name", as typed (HF ids are case-insensitive)
  std::string revision;  // "" when absent
  // "owner/name[@revision]", owner/name lower-cased.
  std::string key() const;
};

struct Identifier {
  IdentifierKind kind = IdentifierKind::k_name;
  std::string input;       // the text as given
  std::string normalized;  // hex; AIR canonical(); HfRepo key(); the trimmed name
  PastedHash hash;         // k_hash
  std::string name;        // k_hash from a settings fragment: its "Model:" value, if any
  AirUrn air;              // k_air
  HfRepo hf;               // k_hf_repo
  // True for a hash whose candidates include AutoV1 (8 hex): it only proposes.
  bool weak() const { return kind == IdentifierKind::k_hash && hash.weak(); }
};

// Classifies `text` (see the file comment). InvalidArgument for a malformed
// hash after a kind prefix, a malformed AIR, or an empty text.
Result<Identifier> classify_identifier(std::string_view text);

// True when `kind` is among the candidates of `pasted`.
bool allows(const PastedHash& pasted, HashKind kind);

// True when a hash of stored kind `stored_kind` (a model event's hash key:
// "sha256", "autov1", "autov2", "autov3", "sha256_12", "crc32", "blake3",
// "weights", or a component "unet", "text_encoder", "vae", "ema_unet") can be
// what `pasted` denotes, given its length and prefix.
bool pasted_may_be(const PastedHash& pasted, std::string_view stored_kind);

}  // namespace pedigree::hash
