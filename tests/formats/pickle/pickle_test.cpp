#include "pedigree/formats/pickle/pickle.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "pedigree/formats/torch_pickle.hpp"
#include "pedigree/util/hex.hpp"
#include "support/torch_fixtures.hpp"

namespace pedigree::formats::pickle {
namespace {

using testing::torch_fixture;

// The JSON form tools/make-torch-fixtures writes for the Python value (depth-bounded).
nlohmann::json to_json(const Pickle& p, ValueId id, int depth = 0) {
  if (depth > 50) return "too deep";
  const Value& v = p.at(id);
  switch (v.kind) {
    case Kind::k_none: return nullptr;
    case Kind::k_bool: return v.boolean;
    case Kind::k_int: return v.integer;
    case Kind::k_float: return v.real;
    case Kind::k_string: return v.text;
    case Kind::k_bytes: {
      ByteView b(reinterpret_cast<const std::uint8_t*>(v.text.data()), v.text.size());
      return nlohmann::json{{"__bytes__", to_hex(b)}};
    }
    case Kind::k_list:
    case Kind::k_tuple: {
      auto out = nlohmann::json::array();
      for (auto item : v.items) out.push_back(to_json(p, item, depth + 1));
      return out;
    }
    case Kind::k_dict: {
      auto out = nlohmann::json::object();
      for (std::size_t i = 0; i + 1 < v.items.size(); i += 2) {
        out[p.at(v.items[i]).text] = to_json(p, v.items[i + 1], depth + 1);
      }
      return out;
    }
    default: return "unexpected kind";
  }
}

Error refusal(const std::string& fixture, const Limits& limits = {}) {
  auto bytes = torch_fixture(fixture);
  auto parsed = parse_pickle(bytes, 0, limits);
  EXPECT_FALSE(parsed) << fixture;
  return parsed ? Error(ErrorCode::k_internal, "parsed") : parsed.error();
}

void expect_contains(const Error& e, const std::string& text) {
  EXPECT_EQ(e.code(), ErrorCode::k_corruption);
  EXPECT_NE(e.message().find(text), std::string::npos) << e.message();
}

class PickleValues : public ::testing::TestWithParam<int> {};

TEST_P(PickleValues, EveryProtocolReadsTheValuesPythonWrote) {
  std::ifstream in(std::string(PEDIGREE_TEST_DATA) + "/torch/good_values.expected.json");
  const auto expected = nlohmann::json::parse(in);
  auto bytes = torch_fixture("good_values_p" + std::to_string(GetParam()) + ".pkl");
  auto parsed = parse_pickle(bytes);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->end_offset, bytes.size());
  auto actual = to_json(*parsed, parsed->root);
  actual.erase("wide");  // compared below: protocol 0/1 write it as text, 2+ as LONG1
  auto want = expected;
  want.erase("wide");
  EXPECT_EQ(actual, want);
  EXPECT_EQ(to_json(*parsed, parsed->root)["wide"], expected["wide"]);
  // The memoized inner list is one value referenced twice, not a copy.
  const Value& root = parsed->at(parsed->root);
  for (std::size_t i = 0; i + 1 < root.items.size(); i += 2) {
    if (parsed->at(root.items[i]).text != "shared") continue;
    const Value& shared = parsed->at(root.items[i + 1]);
    ASSERT_EQ(shared.items.size(), 2u);
    EXPECT_EQ(shared.items[0], shared.items[1]);
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, PickleValues, ::testing::Values(0, 1, 2, 3, 4, 5));

TEST(Pickle, AllowlistHoldsTorchAndLightningGlobalsOnly) {
  EXPECT_TRUE(is_allowed_global("torch._utils", "_rebuild_tensor_v2"));
  EXPECT_TRUE(is_allowed_global("torch", "HalfStorage"));
  EXPECT_TRUE(is_allowed_global("torch", "BFloat16Storage"));
  EXPECT_TRUE(is_allowed_global("collections", "OrderedDict"));
  EXPECT_TRUE(is_allowed_global("numpy.core.multiarray", "scalar"));
  EXPECT_TRUE(is_allowed_global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint"));
  EXPECT_TRUE(is_allowed_global("__builtin__", "set"));  // Python 2 name, renamed like Python does
  EXPECT_FALSE(is_allowed_global("os", "system"));
  EXPECT_FALSE(is_allowed_global("posix", "system"));
  EXPECT_FALSE(is_allowed_global("builtins", "eval"));
  EXPECT_FALSE(is_allowed_global("torch.storage", "_load_from_bytes"));
  EXPECT_FALSE(is_allowed_global("torch", "load"));
  EXPECT_FALSE(is_allowed_global("numpy", "load"));
  EXPECT_FALSE(is_allowed_global("torch", "EvilStorage"));
}

TEST(Pickle, RefusesDisallowedGlobalsByNameWithTheirOffset) {
  expect_contains(refusal("bad_os_system.pkl"),
                  "references disallowed global posix.system at offset 2");
  expect_contains(refusal("bad_os_system_p4.pkl"), "disallowed global posix.system at offset 28");
  expect_contains(refusal("bad_os_system_p0.pkl"), "disallowed global posix.system at offset 0");
  expect_contains(refusal("bad_builtins_eval.pkl"), "disallowed global builtins.eval");
  expect_contains(refusal("bad_subprocess_popen.pkl"), "disallowed global subprocess.Popen");
  expect_contains(refusal("bad_functools_partial.pkl"), "disallowed global functools.partial");
}

TEST(Pickle, ScanListsEveryGlobalEvenAfterARefusedOne) {
  auto globals = scan_pickle_globals(torch_fixture("bad_functools_partial.pkl"));
  EXPECT_EQ(disallowed_globals_text(globals), "functools.partial, posix.system");
  ASSERT_FALSE(globals.empty());
  EXPECT_EQ(globals[0].module, "collections");
  EXPECT_TRUE(globals[0].allowed);
  EXPECT_EQ(disallowed_globals_text(scan_pickle_globals(torch_fixture("bad_os_system_p4.pkl"))),
            "posix.system");
}

TEST(Pickle, TorchLayerReportsEveryDisallowedGlobal) {
  auto bytes = torch_fixture("bad_functools_partial.pkl");
  auto parsed = torch::parse_checked_pickle(bytes, 0, "x/data.pkl");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find(
                "x/data.pkl: pickle references disallowed global functools.partial at offset 55 "
                "(disallowed globals in this pickle: functools.partial, posix.system)"),
            std::string::npos)
      << parsed.error().message();
}

TEST(Pickle, RecursionBombsHitTheirLimits) {
  expect_contains(refusal("bad_nested_lists.pkl"), "nests containers deeper than 1000");
  expect_contains(refusal("bad_nested_marks.pkl"), "nests more than 1000 MARKs");
  expect_contains(refusal("bad_deep_tuples.pkl"), "nests containers deeper than 1000");
}

TEST(Pickle, SelfContainingListParsesButCannotBeFlattenedForever) {
  auto bytes = torch_fixture("bad_self_list.pkl");
  auto parsed = parse_pickle(bytes);
  ASSERT_TRUE(parsed) << parsed.error().message();
  const Value& root = parsed->at(parsed->root);
  ASSERT_EQ(root.items.size(), 1u);
  EXPECT_EQ(root.items[0], parsed->root);
  auto object = torch::read_torch_object(*parsed, "self.pkl");
  ASSERT_FALSE(object);
  EXPECT_NE(object.error().message().find("deeper than 1000"), std::string::npos);
}

TEST(Pickle, MemoAbuseIsRefused) {
  expect_contains(refusal("bad_memo_get.pkl"), "memo index 4294967280 was never stored");
  // 1,001 distinct memo slots against a limit of 1,000.
  std::vector<std::uint8_t> flood = {0x80, 0x02, 'N'};
  for (std::uint32_t i = 0; i <= 1000; ++i) {
    flood.push_back('r');
    for (int b = 0; b < 4; ++b) flood.push_back(static_cast<std::uint8_t>(i >> (8 * b)));
  }
  flood.push_back('.');
  Limits limits;
  limits.max_memo = 1000;
  auto parsed = parse_pickle(flood, 0, limits);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("memo exceeds 1000 entries"), std::string::npos);
  limits.max_memo = 1001;
  EXPECT_TRUE(parse_pickle(flood, 0, limits));
}

TEST(Pickle, CopyAmplificationIsBounded) {
  // A 1,000-item list, then set(list) 100 times: 100,000 copied references.
  std::vector<std::uint8_t> p = {0x80, 0x02, ']', 'q', 0, '('};
  for (int i = 0; i < 1000; ++i) p.insert(p.end(), {'K', 1});
  p.push_back('e');
  for (int i = 0; i < 100; ++i) {
    const std::string global = "c__builtin__\nset\n";
    p.insert(p.end(), global.begin(), global.end());
    p.insert(p.end(), {'h', 0, 0x85, 'R', '0'});  // GET list, TUPLE1, REDUCE, POP
  }
  p.push_back('.');
  Limits limits;
  limits.max_refs = 50'000;
  auto parsed = parse_pickle(p, 0, limits);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("more than 50000 references"), std::string::npos)
      << parsed.error().message();
  limits.max_refs = 200'000;
  EXPECT_TRUE(parse_pickle(p, 0, limits)) << "the same pickle under a larger budget";
}

TEST(Pickle, HugeLengthsAndMissingStopAreRefused) {
  expect_contains(refusal("bad_huge_unicode.pkl"), "exceeds the 4 bytes left");
  expect_contains(refusal("bad_huge_bytes8.pkl"), "exceeds the 4 bytes left");
  auto e = refusal("bad_no_stop.pkl");
  EXPECT_EQ(e.code(), ErrorCode::k_corruption);
  EXPECT_NE(e.message().find("pickle opcode"), std::string::npos) << e.message();
}

TEST(Pickle, RefusesExtensionRegistryAndUnknownOpcodes) {
  const std::uint8_t ext[] = {0x80, 0x02, 0x82, 0x01, '.'};
  expect_contains(parse_pickle(ext).error(), "extension registry");
  const std::uint8_t unknown[] = {0x80, 0x02, 0xff, '.'};
  expect_contains(parse_pickle(unknown).error(), "unknown opcode 0xff at offset 2");
  const std::uint8_t underflow[] = {0x80, 0x02, 'a', '.'};
  expect_contains(parse_pickle(underflow).error(), "stack underflow");
}

TEST(Pickle, CallsOnValuesThatAreNotCallablesAreRefused) {
  // torch.HalfStorage is an allowed value, but calling it is not.
  const std::string p =
      "\x80\x02"
      "ctorch\nHalfStorage\n)R.";
  auto parsed = parse_pickle(ByteView(reinterpret_cast<const std::uint8_t*>(p.data()), p.size()));
  ASSERT_FALSE(parsed);
  expect_contains(parsed.error(), "calls torch.HalfStorage, which is not an allowed callable");
}

TEST(Pickle, EveryTruncationOfARealPickleFailsCleanly) {
  auto bytes = torch_fixture("good_values_p2.pkl");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_pickle(ByteView(bytes.data(), n))) << n;
  }
}

}  // namespace
}  // namespace pedigree::formats::pickle
