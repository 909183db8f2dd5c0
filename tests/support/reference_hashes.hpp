// SHA-256 of the reference checkpoints the tests name (the bundled ledger's
// ledger/sources/models.json records them with their sources), one definition for the
// test binary.
#pragma once

#include <string>

namespace pedigree::testing {

// NovelAI's leaked `animefull-final-pruned/model.ckpt`.
inline const std::string k_nai_leak_sha256 =
    "89d59c3dde4c56c6d5c41da34cc55ce479d93b4007046980934b14db71bdb2a8";
// Stable Diffusion 1.4 (`sd-v1-4.ckpt`).
inline const std::string k_sd14_sha256 =
    "fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556";

}  // namespace pedigree::testing
