// Local reference fingerprints (reference bootstrap).
//
// The bundled ledger knows the NAI and SD files by hash but cannot ship their
// weights. When the user checks a file whose SHA-256 is a reference model's,
// its fingerprint is stored here as that reference's, so later checks of
// merges can estimate shares from the weights. Stored per ledger, never
// committed: <ledger>/.git/pedigree/references/<sha256>.fp (the .fp format of
// docs/formats/fingerprint-v1.md). Publishing it for everyone is a signed
// event (`pedigree attest fingerprint FILE`), verifiable by recomputing it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/fingerprint/units.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::lineage {

class ReferenceStore {
public:
  // `dir` need not exist yet (created by the first save). An empty path
  // disables the store: load finds nothing and save does nothing.
  explicit ReferenceStore(std::filesystem::path dir) : m_dir(std::move(dir)) {}

  // The store of a ledger directory: <ledger>/.git/pedigree/references.
  static std::filesystem::path dir_for_ledger(const std::filesystem::path& ledger_dir);

  bool enabled() const { return !m_dir.empty(); }
  // Where the reference `sha256` (64 hex) is stored.
  std::filesystem::path path_for(std::string_view sha256) const;
  // The stored fingerprint of `sha256`; nullopt when absent or unreadable
  // (a damaged file is ignored and overwritten by the next save).
  std::optional<fingerprint::Fingerprint> load(std::string_view sha256) const;
  // Stores `fp` as the fingerprint of `sha256` (atomic replace). IOError on failure.
  Result<std::filesystem::path> save(std::string_view sha256,
                                     const fingerprint::Fingerprint& fp) const;

  // A base reference's unit signatures (fingerprint/units.hpp), which re-align
  // targets whose units were re-ordered or rescaled: <sha256>.units beside the
  // .fp; nullopt when absent or unreadable. Saved like the fingerprint.
  std::filesystem::path units_path_for(std::string_view sha256) const;
  std::optional<fingerprint::UnitSignatures> load_units(std::string_view sha256) const;
  Result<std::filesystem::path> save_units(std::string_view sha256,
                                           const fingerprint::UnitSignatures& units) const;

private:
  // The bytes of a stored file; nullopt when the store is disabled or the file absent or
  // unreadable.
  std::optional<std::string> read_stored(const std::filesystem::path& path) const;
  // Writes `bytes` to `path` in the store (atomic replace); an empty path when disabled.
  Result<std::filesystem::path> store(const std::filesystem::path& path,
                                      std::string_view bytes) const;

  std::filesystem::path m_dir;
};

}  // namespace pedigree::lineage
