#include "pedigree/lineage/ema_evidence.hpp"

namespace pedigree::lineage {
namespace {

FingerprintCopy copy_of(const std::string& component, const FingerprintResult& r) {
  return {component, r.outcome, r.share, r.summary};
}

// A UNet that ruled NAI out, kept open because its EMA copy does not.
void keep_open(FingerprintResult& r, const std::string& why) {
  r.outcome = FingerprintOutcome::k_inconclusive;
  r.nai_detected = false;
  r.estimator_fired = false;
  r.reasons.push_back({"ema", why});
}

}  // namespace

FingerprintEvidence with_ema_copy(FingerprintEvidence unet,
                                  const std::optional<fingerprint::Fingerprint>& ema_sketch,
                                  const std::string& ema_error,
                                  const std::vector<ReferenceModel>& references) {
  if ((!ema_sketch && ema_error.empty()) || !unet.result) return unet;
  FingerprintResult& r = *unet.result;
  std::optional<FingerprintEvidence> ema;
  if (ema_sketch) ema = estimate_nai_share(*ema_sketch, references);
  if (!ema || !ema->result) {
    const std::string why = ema ? ema->note : ema_error;
    r.copies = {
        copy_of("unet", r),
        {"unet_ema", FingerprintOutcome::k_inconclusive, std::nullopt, "not measured: " + why}};
    if (r.outcome == FingerprintOutcome::k_absent)
      keep_open(r, "the file also ships an EMA copy of the UNet, which could not be measured (" +
                       why + ")");
    unet.note += "; its EMA copy of the UNet could not be measured: " + why;
    return unet;
  }
  const FingerprintResult& e = *ema->result;
  std::vector<FingerprintCopy> copies{copy_of("unet", r), copy_of("unet_ema", e)};
  unet.note += "; its EMA copy of the UNet, estimated the same way: " + ema->note;
  if (e.outcome == FingerprintOutcome::k_present && r.outcome != FingerprintOutcome::k_present) {
    FingerprintEvidence out = std::move(*ema);
    out.result->component = "unet_ema";
    out.result->summary =
        "NAI in the file's EMA copy of the UNet (a loader can be set to use it; the UNet itself "
        "reads " +
        std::string(fingerprint_outcome_name(r.outcome)) + "): " + e.summary;
    out.result->copies = std::move(copies);
    out.note = unet.note;
    out.vae = std::move(unet.vae);
    return out;
  }
  if (r.outcome == FingerprintOutcome::k_absent && e.outcome != FingerprintOutcome::k_absent)
    keep_open(r, "the file also ships an EMA copy of the UNet, which does not rule NAI out (" +
                     std::string(fingerprint_outcome_name(e.outcome)) + ": " + e.summary + ")");
  r.copies = std::move(copies);
  return unet;
}

}  // namespace pedigree::lineage
