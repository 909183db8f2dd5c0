// Fingerprint evidence about the VAE: how much of the leaked NAI VAE
// (animevae.pt, a `nai-vae` reference) the target's VAE contains.
//
// The leaked VAE is a fine-tune of SD's kl-f8 VAE, so with the base
// reference's VAE as the origin a merge of the two reads
//   target VAE - base VAE = share * (NAI VAE - base VAE) + rest,
// fitted by least squares over the VAE sketches (the sketch is linear, so a
// merge's sketch is the same combination of its parents' sketches), with a
// jackknife standard error over tensors (or hashed cell groups when the VAE
// has few tensors). Bit-identical VAEs are decided by the VAE hash before
// this (verdict.cpp); this finds the merges the hash cannot.
#pragma once

#include <string>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/lineage/source.hpp"
#include "pedigree/lineage/verdict.hpp"

namespace pedigree::lineage {

struct VaeEvidence {
  std::optional<VaeShareResult> result;  // nullopt when no estimate could be made
  std::string note;                      // which references were used, or why none
};

// Needs a trusted `nai-vae` reference and a `base` reference, both with a
// fingerprint holding VAE sketches, and a target with a VAE. Never fails:
// anything missing gives a note instead of a result.
VaeEvidence estimate_nai_vae_share(const fingerprint::Fingerprint& target,
                                   const std::vector<ReferenceModel>& references);

}  // namespace pedigree::lineage
