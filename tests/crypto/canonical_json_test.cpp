#include "pedigree/crypto/canonical_json.hpp"

#include <gtest/gtest.h>

namespace pedigree::crypto {
namespace {

TEST(CanonicalJson, SortsKeysEscapesAndDropsWhitespace) {
  auto value = nlohmann::json::parse(
      "{ \"b\": 1, \"a\": [true, null, \"x\\\"\\\\\\n\\u0001\xC3\xA9\"], "
      "\"B\": {\"z\": -3, \"\xC3\xA9\": 0} }");
  // Expected bytes from python3: json.dumps(v, sort_keys=True, separators=(',',':'),
  // ensure_ascii=False), which agrees with RFC 8785 for these values.
  EXPECT_EQ(*canonical_json(value),
            "{\"B\":{\"z\":-3,\"\xC3\xA9\":0},\"a\":[true,null,\"x\\\"\\\\\\n\\u0001\xC3\xA9\"],"
            "\"b\":1}");
}

TEST(CanonicalJson, OrdersMembersByUtf16CodeUnits) {
  // U+FF61 (one UTF-16 unit 0xFF61) sorts after U+1F600 (surrogates 0xD83D..) in
  // UTF-16 order although its UTF-8 bytes sort first: RFC 8785 §3.2.3.
  nlohmann::json value = {{"\xEF\xBD\xA1", 1}, {"\xF0\x9F\x98\x80", 2}};
  EXPECT_EQ(*canonical_json(value), "{\"\xF0\x9F\x98\x80\":2,\"\xEF\xBD\xA1\":1}");
}

TEST(CanonicalJson, RefusesFloatsAndUnsafeIntegers) {
  auto f = canonical_json(nlohmann::json{{"w", 0.5}});
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("$.w"), std::string::npos);
  EXPECT_FALSE(canonical_json(nlohmann::json(std::uint64_t{1} << 60)));
  EXPECT_TRUE(canonical_json(nlohmann::json((std::int64_t{1} << 53) - 1)));
}

TEST(CanonicalJson, StrictParseRefusesNonCanonicalText) {
  EXPECT_TRUE(parse_canonical_json("{\"a\":1,\"b\":[2]}", "t", 100));
  EXPECT_FALSE(parse_canonical_json("{\"b\":1,\"a\":2}", "t", 100));    // unsorted
  EXPECT_FALSE(parse_canonical_json("{\"a\": 1}", "t", 100));           // whitespace
  EXPECT_FALSE(parse_canonical_json("{\"a\":1,\"a\":2}", "t", 100));    // duplicate key
  EXPECT_FALSE(parse_canonical_json("{\"a\":1.0}", "t", 100));          // float
  EXPECT_FALSE(parse_canonical_json("{\"a\":\"\\u0041\"}", "t", 100));  // needless escape
  EXPECT_FALSE(parse_canonical_json("{\"a\":1}\n", "t", 100));          // trailing byte
  auto bad = parse_canonical_json("{\"a\":", "event.json", 100);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(bad.error().message().find("event.json"), std::string::npos);
  EXPECT_FALSE(parse_canonical_json(std::string(200, ' '), "t", 100));  // over the size limit
  EXPECT_FALSE(parse_canonical_json(std::string(100, '[') + std::string(100, ']'), "t", 1000));
}

}  // namespace
}  // namespace pedigree::crypto
