// Resolving what a user typed to name an artifact in `attest` (a child, a
// parent, a claim's subject) to exactly one SHA-256 the index knows.
#pragma once

#include <string>
#include <string_view>

#include "pedigree/index/index.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::index {

struct ArtifactRef {
  std::string sha256;
  std::string name;  // a name some valid model event gives it, else ""
};

// `text` is a hash of any kind the index holds (optionally "kind:"-prefixed,
// any case; SHA-256 prefixes of >= 8 digits) or a model name (the subject
// name, file name or title of a valid model event, case-insensitive, with or
// without the file extension). Only matches vouched for by a trusted signer
// or by `own_keyid` (the key about to sign) resolve (a name from such a model
// event; a prefix of an artifact such an event is about): the user would
// otherwise sign whatever an attacker's key named so. NotFound when nothing matches; Untrusted
// naming the event when only untrusted events match; InvalidArgument listing the candidates when
// several trusted artifacts match.
Result<ArtifactRef> resolve_artifact(Index& index, std::string_view text,
                                     std::string_view own_keyid);

}  // namespace pedigree::index
