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
// without the file extension). Any signer counts: the user chooses what to
// attest about. NotFound when nothing matches; InvalidArgument listing the
// candidates when several artifacts match.
Result<ArtifactRef> resolve_artifact(Index& index, std::string_view text);

}  // namespace pedigree::index
