// Internal to fingerprint/: turns fitted shares into decisions (presence,
// reliability of the size), verbatim-copied blocks and the plain-language summary.
#pragma once

#include <span>

#include "pedigree/fingerprint/estimate.hpp"

namespace pedigree::fingerprint::detail {

// Fills present/size_reliable of every share, out.verbatim and out.summary.
void describe(const Fingerprint& target, const Fingerprint& base, std::span<const Reference> refs,
              const EstimateOptions& options, Estimate& out);

}  // namespace pedigree::fingerprint::detail
