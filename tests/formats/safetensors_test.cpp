#include "pedigree/formats/safetensors.hpp"

#include <gtest/gtest.h>

#include "formats/fixtures.hpp"
#include "pedigree/formats/checkpoint.hpp"

namespace pedigree::formats {
namespace {

using testing::as_bytes;
using testing::load_json;
using testing::read_data;

Result<Checkpoint> parse_text(const std::string& bytes) {
  return parse_safetensors(as_bytes(bytes));
}

// Builds a safetensors file from a header text and a data buffer.
std::string make_file(std::string_view header, std::string_view data) {
  std::string out(8, '\0');
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  out += header;
  out += data;
  return out;
}

TEST(Safetensors, ReadsTheGoodFixtureAsTheGeneratorWroteIt) {
  auto expected = load_json("safetensors_expected.json")["good_basic.safetensors"];
  std::string file = read_data("good_basic.safetensors");
  ASSERT_EQ(file.size(), expected["size"].get<std::size_t>());
  auto checkpoint = parse_text(file);
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  EXPECT_EQ(checkpoint->format, Format::k_safetensors);
  EXPECT_EQ(checkpoint->data_start, expected["data_start"].get<std::uint64_t>());
  using StringMap = std::map<std::string, std::string>;
  EXPECT_EQ(checkpoint->metadata, expected["metadata"].get<StringMap>());
  ASSERT_EQ(checkpoint->tensors.size(), expected["tensors"].size());
  std::uint64_t covered = 0;
  for (const auto& t : checkpoint->tensors) {
    SCOPED_TRACE(t.name);
    ASSERT_TRUE(expected["tensors"].contains(t.name));
    const auto& e = expected["tensors"][t.name];
    EXPECT_EQ(dtype_name(t.dtype), e["dtype"].get<std::string>());
    EXPECT_EQ(t.shape, e["shape"].get<std::vector<std::uint64_t>>());
    EXPECT_EQ(t.strides, contiguous_strides(t.shape));
    EXPECT_TRUE(t.is_contiguous());
    EXPECT_EQ(t.storage_begin, t.offset);
    EXPECT_EQ(t.storage_end - t.storage_begin, t.nbytes());
    EXPECT_GE(t.offset, *checkpoint->data_start);
    EXPECT_LE(t.storage_end, file.size());
    covered += t.nbytes();
  }
  EXPECT_EQ(covered, file.size() - *checkpoint->data_start);  // the buffer is fully used
}

TEST(Safetensors, KeepsHeaderOrderAndAcceptsAnUnpaddedHeader) {
  auto checkpoint = parse_text(read_data("good_unpadded.safetensors"));
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  ASSERT_EQ(checkpoint->tensors.size(), 2u);
  EXPECT_EQ(checkpoint->tensors[0].name, "b");  // header order, not offset order
  EXPECT_EQ(checkpoint->tensors[1].name, "a");
  EXPECT_EQ(checkpoint->tensors[1].offset, *checkpoint->data_start);
  EXPECT_TRUE(checkpoint->metadata.empty());
}

TEST(Safetensors, AcceptsAModelWithoutTensors) {
  auto checkpoint = parse_text(read_data("good_empty_model.safetensors"));
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  EXPECT_TRUE(checkpoint->tensors.empty());
  EXPECT_EQ(checkpoint->data_start, 16u);
}

TEST(Safetensors, AcceptsNullMetadataZeroSizeTensorsAndWhitespacePadding) {
  std::string header =
      R"({"__metadata__":null,"z":{"dtype":"F16","shape":[0],"data_offsets":[0,0]},)"
      R"("a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}   )";
  auto checkpoint = parse_text(make_file(header, "ab"));
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  EXPECT_EQ(checkpoint->tensors.size(), 2u);
}

TEST(Safetensors, RefusesTheHeaderLimitPlusOne) {
  std::string file = make_file("{}", "");
  std::uint64_t n = k_safetensors_max_header + 1;
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  auto result = parse_text(file);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("exceeds the limit of 100000000"), std::string::npos);
}

TEST(Safetensors, RefusesEveryPrefixOfAGoodFile) {
  // Truncation anywhere must give a clean error, never a crash or a success.
  std::string file = read_data("good_basic.safetensors");
  ASSERT_FALSE(file.empty());
  for (std::size_t cut = 0; cut < file.size(); ++cut) {
    auto result = parse_checkpoint(as_bytes(std::string_view(file).substr(0, cut)));
    ASSERT_FALSE(result) << "prefix of " << cut << " bytes was accepted";
    EXPECT_EQ(result.error().code(), ErrorCode::k_corruption) << result.error().message();
  }
}

TEST(Safetensors, SurvivesEverySingleByteChangeOfTheHeader) {
  std::string file = read_data("good_unpadded.safetensors");
  auto data_start = parse_text(file)->data_start.value();
  int refused = 0;
  for (std::size_t at = 0; at < data_start; ++at) {
    for (int delta : {1, 0x80, 0xFF}) {
      std::string changed = file;
      changed[at] = static_cast<char>(changed[at] + delta);
      auto result = parse_checkpoint(as_bytes(changed));  // must return, ok or not
      if (!result) ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(Safetensors, ErrorsNameTheTensorAndTheFileOffset) {
  // Tensor 'y' claims bytes 4..12 of a 10-byte buffer; data starts at 8 + header size.
  std::string header = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("y":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}})";
  auto result = parse_text(make_file(header, std::string(10, '\0')));
  ASSERT_FALSE(result);
  const std::string& message = result.error().message();
  EXPECT_NE(message.find("tensor 'y'"), std::string::npos) << message;
  std::string start = std::to_string(8 + header.size() + 4);
  EXPECT_NE(message.find("file bytes " + start), std::string::npos) << message;
}

TEST(Safetensors, KeepsErrorsOnOneLineWhateverNamesHold) {
  // Found by fuzz_safetensors: a JSON-escaped newline in a field name.
  std::string header = R"({"x":{"dtype":"F32","sh\u000Ape":[1],"data_offsets":[0,4]}})";
  auto result = parse_text(make_file(header, "abcd"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message().find('\n'), std::string::npos);
  EXPECT_NE(result.error().message().find(R"(unknown field 'sh\x0ape')"), std::string::npos)
      << result.error().message();
}

TEST(Safetensors, ReportsTheOffsetOfInvalidUtf8) {
  std::string header = "{\"ab\xFF\":1}";
  auto result = parse_text(make_file(header, ""));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("invalid UTF-8 at offset 12"), std::string::npos)
      << result.error().message();
}

TEST(Safetensors, LooksLikeNeedsTheBraceOrAPlausibleLength) {
  EXPECT_TRUE(looks_like_safetensors(as_bytes(make_file("{}", ""))));
  EXPECT_FALSE(looks_like_safetensors(as_bytes(std::string("PK\x03\x04rest-of-zip", 15))));
  EXPECT_FALSE(looks_like_safetensors(as_bytes("short")));
  EXPECT_TRUE(looks_like_safetensors(as_bytes(make_file("{}", "").substr(0, 8))));
}

// One case per bad fixture: the generator lists each file with the phrase its
// error must contain (tests/data/safetensors_bad.json).
class SafetensorsBadFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(SafetensorsBadFixture, IsRefusedWithAClearMessage) {
  const std::string name = GetParam();
  const std::string phrase = load_json("safetensors_bad.json")[name].get<std::string>();
  auto path = testing::data_path(name);
  auto result = open_checkpoint(path);
  ASSERT_FALSE(result) << name << " was accepted";
  EXPECT_EQ(result.error().code(), ErrorCode::k_corruption) << result.error().message();
  const std::string& message = result.error().message();
  EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;  // names the file first
  EXPECT_NE(message.find(phrase), std::string::npos)
      << "'" << message << "' lacks '" << phrase << "'";
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line";
}

std::vector<std::string> bad_fixture_names() {
  std::vector<std::string> names;
  const auto bad = load_json("safetensors_bad.json");
  for (const auto& [name, phrase] : bad.items()) names.push_back(name);
  return names;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(4, info.param.find('.') - 4);  // drop "bad_" and extension
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Safetensors, SafetensorsBadFixture,
                         ::testing::ValuesIn(bad_fixture_names()), test_name);

TEST(Safetensors, HasOneBadFixturePerKindOfCorruption) {
  auto bad = load_json("safetensors_bad.json");
  for (const char* kind :
       {"bad_truncated_in_header", "bad_header_beyond_eof", "bad_huge_header", "bad_non_json",
        "bad_duplicate_key", "bad_overlap", "bad_offsets_out_of_range", "bad_hole",
        "bad_shape_size_mismatch", "bad_unknown_dtype", "bad_metadata_not_string",
        "bad_not_a_checkpoint", "bad_invalid_utf8", "bad_empty"}) {
    EXPECT_TRUE(bad.contains(std::string(kind) + ".safetensors")) << kind;
  }
}

}  // namespace
}  // namespace pedigree::formats
