// The fingerprint golden vector (tools/make-fingerprint-golden): a fixed
// checkpoint in every float dtype whose sketch cells were computed by an
// independent Python implementation of docs/formats/fingerprint-v1.md, and
// whose `.fp` bytes are pinned by SHA-256. A change to the sketch, the
// quantization or the file layout fails here instead of silently
// invalidating every published fingerprint.
#include <gtest/gtest.h>

#include "formats/fixtures.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/examine/examine.hpp"
#include "pedigree/fingerprint/serialize.hpp"

namespace pedigree::fingerprint {
namespace {

TEST(FingerprintGolden, CellsMatchTheSpecAndTheFileBytesArePinned) {
  const auto expected = testing::load_json("fingerprint/golden_expected.json");
  const auto input = testing::data_path("fingerprint/golden_input.safetensors");
  ASSERT_EQ(crypto::sha256_hex(testing::read_data("fingerprint/golden_input.safetensors")),
            expected["input_sha256"])
      << "the input changed: regenerate with tools/make-fingerprint-golden";
  auto fp = examine::fingerprint_path(input);
  ASSERT_TRUE(fp) << fp.error().message();
  // Exactly the float tensors, every float dtype included (the I64 buffer is left out).
  std::vector<std::string> names;
  for (const auto& t : fp->tensors) names.push_back(t.name);
  EXPECT_EQ(nlohmann::json(names), expected["fingerprinted"]);
  for (const auto& [name, cells] : expected["cells"].items()) {
    const TensorSketch* t = fp->find(name);
    ASSERT_NE(t, nullptr) << name;
    ASSERT_EQ(t->cells.size(), cells.size()) << name;
    for (std::size_t i = 0; i < cells.size(); ++i)
      EXPECT_EQ(t->cells[i], cells[i].get<double>()) << name << " cell " << i;  // bit-exact
  }
  ASSERT_TRUE(expected["fp_sha256"].is_string());
  EXPECT_EQ(crypto::sha256_hex(serialize(*fp)), expected["fp_sha256"])
      << "the .fp bytes changed: a format change needs a new spec version";
}

}  // namespace
}  // namespace pedigree::fingerprint
