#include "pedigree/lineage/realign.hpp"

#include <algorithm>
#include <cmath>

#include "pedigree/fingerprint/units.hpp"
#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/lineage/fingerprint_policy.hpp"
#include "pedigree/lineage/fingerprint_quality.hpp"

namespace pedigree::lineage {
namespace {

bool inconclusive_for_alignment(const FingerprintResult& r) {
  return r.outcome == FingerprintOutcome::k_inconclusive &&
         std::any_of(r.reasons.begin(), r.reasons.end(),
                     [](const FingerprintReason& reason) { return reason.code == "alignment"; });
}

// The largest relative change of a ResBlock conv1 or embedding-projection norm from the
// base's, from the sketches (linear: a tensor scaled by c has its sketch scaled by c). A
// scale in front of a GroupNorm changes no output and can stay inside the alignment bound
// while it distorts the share; training moves these norms far less (an update of relative
// size e changes a norm by about e^2 / 2).
double largest_norm_rescale(const fingerprint::Fingerprint& target,
                            const fingerprint::Fingerprint& base) {
  double largest = 0;
  for (const auto& t : target.tensors) {
    if (t.component != fingerprint::Component::k_unet ||
        (!t.name.ends_with("in_layers.2.weight") && !t.name.ends_with("emb_layers.1.weight")))
      continue;
    const fingerprint::TensorSketch* b = base.find(t.name);
    if (!b || b->cells.size() != t.cells.size()) continue;
    double tt = 0, bb = 0;
    for (std::size_t i = 0; i < t.cells.size(); ++i) {
      tt += t.cells[i] * t.cells[i];
      bb += b->cells[i] * b->cells[i];
    }
    if (bb > 0) largest = std::max(largest, std::fabs(std::sqrt(tt / bb) - 1));
  }
  return largest;
}

const ReferenceModel* base_named(const std::vector<ReferenceModel>& refs, const std::string& name) {
  for (const auto& r : refs)
    if (r.role == Role::k_base && r.name == name) return &r;
  return nullptr;
}

// True when `file`, opened again, is still the file the first pass read.
bool still_the_file_read(const std::filesystem::path& file,
                         const std::optional<FileStat>& read_as) {
  if (!read_as) return false;
  auto now = stat_file(file);
  return now && now->is_regular && same_file(*now, *read_as);
}

constexpr const char* k_changed_on_disk =
    "the file changed on disk after it was read (size, time or inode differ), so it was not "
    "read again";

}  // namespace

std::string bootstrap_unit_signatures(const std::filesystem::path& file,
                                      const std::optional<FileStat>& read_as,
                                      const ReferenceModel& base, FactSource& source,
                                      const ReferenceStore& store) {
  if (!store.enabled() || base.role != Role::k_base) return "";
  if (auto known = source.units_of(base.sha256); !known || *known) return "";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return "";
  auto checkpoint = formats::open_checkpoint(file);
  if (!checkpoint) return "";
  // Checked after opening: the map holds whatever was there then.
  if (!still_the_file_read(file, read_as))
    return "the unit signatures of " + base.name + " were not stored: " + k_changed_on_disk;
  auto units = fingerprint::unit_signatures(*checkpoint);
  if (!units) return "could not sign the units of " + base.name + ": " + units.error().message();
  if (units->groups.empty()) return "";
  auto saved = store.save_units(base.sha256, *units);
  if (!saved)
    return "could not store the unit signatures of " + base.name + ": " + saved.error().message();
  return "this file is the base " + base.name + ": the signatures of its " +
         std::to_string(units->groups.size()) + " unit groups are stored in " + saved->string() +
         " (later checks re-align merges whose hidden units were re-ordered or rescaled)";
}

FingerprintEvidence realign_evidence(const std::filesystem::path& file,
                                     const std::optional<FileStat>& read_as,
                                     const fingerprint::Fingerprint& unaligned,
                                     FingerprintEvidence evidence,
                                     const std::vector<ReferenceModel>& references,
                                     FactSource& source) {
  if (!evidence.result) return evidence;
  FingerprintResult& first = *evidence.result;
  const ReferenceModel* base = base_named(references, first.aligned_base);
  const double rescale =
      base && base->fingerprint ? largest_norm_rescale(unaligned, *base->fingerprint) : 0;
  const bool rescaled = rescale > policy::k_norm_rescale_trigger;
  // Weights beyond the alignment bound are inconclusive whatever their estimate said
  // (classify): the re-aligned estimate decides for them.
  if (!inconclusive_for_alignment(first) && !rescaled) return evidence;
  const std::string norm_change = "a conv1 norm differs from " + first.aligned_base + "'s by " +
                                  std::to_string(static_cast<int>(rescale * 100 + 0.5)) + "%";
  // Said of a `present` first estimate (on aligned weights) whose size the re-alignment is to
  // measure.
  std::string found_misaligned;
  if (first.outcome == FingerprintOutcome::k_present)
    found_misaligned =
        "NAI found although " + norm_change + " (a rescale before a GroupNorm distorts the share)";
  if (!found_misaligned.empty())
    evidence.note += "; " + found_misaligned;
  else if (rescaled)
    evidence.note += "; " + norm_change + " (more than training moves it): trying to re-align";
  if (!base) return evidence;
  // The base the misaligned target seemed closest to, then every other base with signatures:
  // SD1.x bases share their units (SD1.5 is a fine-tune of SD1.4), so either re-aligns a merge
  // of the other, but a target's own training leaves fewer units unmatched against the base
  // it was trained from, so the first confident alignment is used.
  std::vector<const ReferenceModel*> candidates{base};
  for (const auto& r : references)
    if (r.role == Role::k_base && &r != base) candidates.push_back(&r);
  std::vector<std::pair<const ReferenceModel*, StoredUnits>> with_units;
  for (const ReferenceModel* candidate : candidates) {
    auto stored = source.units_of(candidate->sha256);
    if (stored && *stored) with_units.emplace_back(candidate, std::move(**stored));
  }
  if (with_units.empty()) {
    evidence.note += "; re-aligning its units needs the unit signatures of " + base->name +
                     ": a units event (`pedigree attest fingerprint --units FILE` of the base "
                     "file), or check that file once here (`pedigree check FILE`)";
    return evidence;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return evidence;
  auto checkpoint = formats::open_checkpoint(file);
  if (!checkpoint) return evidence;
  if (!still_the_file_read(file, read_as)) {
    evidence.note += std::string("; not re-aligned: ") + k_changed_on_disk;
    return evidence;
  }
  auto target_units = fingerprint::unit_signatures(*checkpoint);
  if (!target_units) {
    evidence.note += "; its units could not be signed: " + target_units.error().message();
    return evidence;
  }
  auto realignment_info = [](const ReferenceModel& b, const fingerprint::UnitAlignment& a) {
    UnitRealignment info;
    info.base = b.name;
    info.confident = a.confident();
    info.units = a.units;
    info.moved = a.moved;
    info.rescaled = a.rescaled;
    info.flipped = a.flipped;
    info.ambiguous = a.ambiguous;
    info.weakest_match = a.weakest_match;
    info.summary = a.describe();
    return info;
  };
  std::optional<fingerprint::UnitAlignment> confident;
  const StoredUnits* base_units = nullptr;
  std::string tried;  // the alignments that were not confident, for the note
  for (const auto& [candidate, units] : with_units) {
    auto a = fingerprint::align_units(units.units, *target_units);
    if (a.confident()) {
      confident = std::move(a);
      base = candidate;
      base_units = &units;
      break;
    }
    if (!first.realigned) first.realigned = realignment_info(*candidate, a);
    tried += "; re-alignment with " + candidate->name + ": " + a.describe() +
             " (not used: too many units without a clear match)";
  }
  if (!confident) {
    evidence.note += tried;
    return evidence;
  }
  const fingerprint::UnitAlignment& alignment = *confident;
  const UnitRealignment info = realignment_info(*base, alignment);
  if (alignment.identity()) {
    first.realigned = info;
    evidence.note +=
        tried + "; re-alignment with " + base->name + ": " + info.summary + " (nothing to undo)";
    return evidence;
  }
  auto aligned = fingerprint::aligned_fingerprint(*checkpoint, alignment, unaligned);
  if (!aligned) {
    evidence.note += "; the re-aligned sketch failed: " + aligned.error().message();
    return evidence;
  }
  FingerprintEvidence again = estimate_nai_share(*aligned, references);
  if (!again.result) return evidence;
  again.result->realigned = info;
  classify(*again.result);  // in the base's frame now: presence counts beyond the bound
  if (!found_misaligned.empty() && again.result->outcome != FingerprintOutcome::k_present) {
    // NAI found in aligned weights (calibrated there) stands: a rescale within the alignment
    // bound scatters a share, it does not make one up; the re-aligned reading is beside it.
    first.realigned = info;
    evidence.note += "; re-aligned with " + base->name + " (" + info.summary +
                     ") the estimate did not confirm it (" + again.result->summary +
                     "): the finding on the weights as stored stands";
    return evidence;
  }
  again.vae = std::move(evidence.vae);
  again.note = (found_misaligned.empty() ? "" : found_misaligned + "; ") +
               (tried.empty() ? "" : tried.substr(2) + "; ") + "re-aligned with " + base->name +
               " (" + info.summary + "; its signatures from " + base_units->origin + "); " +
               again.note;
  return again;
}

}  // namespace pedigree::lineage
