#include "support/torch_fixtures.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "pedigree/util/hex.hpp"

namespace pedigree::testing {

std::vector<std::uint8_t> torch_fixture(const std::string& name) {
  std::ifstream in(std::string(PEDIGREE_TEST_DATA) + "/torch/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> gather_tensor(const std::vector<std::uint8_t>& file,
                                        const formats::TensorInfo& t) {
  const std::size_t es = formats::dtype_size(t.dtype);
  std::vector<std::uint8_t> out;
  const std::uint64_t n = t.numel();
  std::vector<std::uint64_t> index(t.shape.size(), 0);
  for (std::uint64_t k = 0; k < n; ++k) {
    std::uint64_t element = 0;
    for (std::size_t d = 0; d < index.size(); ++d) element += index[d] * t.strides[d];
    const std::uint64_t at = t.offset + element * es;
    EXPECT_GE(at, t.storage_begin);
    EXPECT_LE(at + es, t.storage_end);
    EXPECT_LE(at + es, file.size());
    if (at + es > file.size()) return out;
    for (std::size_t b = 0; b < es; ++b) {
      out.push_back(file[at + (t.big_endian ? es - 1 - b : b)]);
    }
    for (std::size_t d = index.size(); d-- > 0;) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

std::string sha256_hex(const std::vector<std::uint8_t>& bytes) {
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return to_hex(ByteView(digest, len));
}

void expect_matches_torch(const std::string& stem, const std::vector<std::uint8_t>& file,
                          const formats::Checkpoint& checkpoint) {
  std::ifstream in(std::string(PEDIGREE_TEST_DATA) + "/torch/" + stem + ".expected.json");
  ASSERT_TRUE(in.good()) << stem;
  const auto expected = nlohmann::json::parse(in);
  std::map<std::string, const formats::TensorInfo*> by_name;
  for (const auto& t : checkpoint.tensors) by_name[t.name] = &t;
  ASSERT_EQ(by_name.size(), checkpoint.tensors.size()) << "duplicate tensor names";
  EXPECT_EQ(checkpoint.tensors.size(), expected["tensors"].size()) << stem;
  for (const auto& e : expected["tensors"]) {
    const std::string name = e["name"];
    SCOPED_TRACE(stem + ": " + name);
    auto it = by_name.find(name);
    ASSERT_NE(it, by_name.end());
    const formats::TensorInfo& t = *it->second;
    EXPECT_EQ(formats::dtype_name(t.dtype), e["dtype"].get<std::string>());
    EXPECT_EQ(t.shape, e["shape"].get<std::vector<std::uint64_t>>());
    EXPECT_EQ(t.strides, e["strides"].get<std::vector<std::uint64_t>>());
    EXPECT_EQ(t.is_contiguous(), e["contiguous"].get<bool>());
    EXPECT_EQ(t.offset, t.storage_begin + e["storage_offset"].get<std::uint64_t>() *
                                              formats::dtype_size(t.dtype));
    EXPECT_EQ(sha256_hex(gather_tensor(file, t)), e["sha256"].get<std::string>());
  }
  std::map<std::string, std::string> scalars;
  for (const auto& [k, v] : expected["scalars"].items()) scalars[k] = v.get<std::string>();
  EXPECT_EQ(checkpoint.scalars, scalars) << stem;
}

}  // namespace pedigree::testing
