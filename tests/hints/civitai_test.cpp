// Civitai's model-version JSON (developer.civitai.com/site/reference/
// model-versions), documents built here with the documented fields.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pedigree/hints/hints.hpp"

namespace pedigree::hints {
namespace {

nlohmann::json version() {
  return {{"id", 130072},
          {"modelId", 4201},
          {"name", "v3.0"},
          {"baseModel", "SD 1.5"},
          {"air", "urn:air:sd1:checkpoint:civitai:4201@130072"},
          {"model", {{"name", "Some Merge"}, {"type", "Checkpoint"}, {"nsfw", false}}},
          {"files",
           {{{"id", 1},
             {"name", "some_merge.safetensors"},
             {"sizeKB", 2082642.4},
             {"type", "Model"},
             {"primary", true},
             {"hashes",
              {{"AutoV1", "925997E9"},
               {"AutoV2", "89D59C3DDE"},
               {"SHA256", "89D59C3DDE4C56C6D5C41DA34CC55CE479D93B4007046980934B14DB71BDB2A8"},
               {"CRC32", "74B5AE44"},
               {"BLAKE3", std::string(64, 'A')},
               {"AutoV3", "0123456789AB"}}}}}},
          {"images", nlohmann::json::array()}};
}

TEST(CivitaiVersion, ReadsIdsBaseModelAndEveryHashOfEveryFile) {
  auto h = parse_civitai_version(version().dump(), "v.json");
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->civitai_version, "130072");
  EXPECT_EQ(h->civitai_model, "4201");
  EXPECT_EQ(h->title, "Some Merge v3.0");
  EXPECT_EQ(h->model_type, "Checkpoint");
  EXPECT_EQ(h->base_models, std::vector<std::string>{"SD 1.5"});
  ASSERT_EQ(h->files.size(), 1u);
  const auto& f = h->files[0].hashes;
  EXPECT_EQ(f.at("sha256"), "89d59c3dde4c56c6d5c41da34cc55ce479d93b4007046980934b14db71bdb2a8");
  EXPECT_EQ(f.at("autov1"), "925997e9");
  EXPECT_EQ(f.at("crc32_civitai"), "74b5ae44");
  EXPECT_EQ(f.at("autov3"), "0123456789ab");
}

TEST(CivitaiVersion, APastedHashOfAnyKindFindsTheHint) {
  HintStore store;
  auto h = parse_civitai_version(version().dump(), "v.json");
  ASSERT_TRUE(h);
  store.add(*h);
  const std::vector<std::string> forms = {
      "925997e9", "AutoV2: 89d59c3dde", "CRC32: 44aeb574", std::string(64, 'a'),
      "89d59c3dde4c56c6d5c41da34cc55ce479d93b4007046980934b14db71bdb2a8"};
  for (const std::string& pasted : forms) {
    auto id = hash::classify_identifier(pasted);
    ASSERT_TRUE(id) << pasted;
    auto found = store.for_identifier(*id);
    ASSERT_EQ(found.size(), 1u) << pasted;
    EXPECT_EQ(found[0].file, "some_merge.safetensors");
  }
  auto air = hash::classify_identifier("urn:air:sd1:checkpoint:civitai:4201@130072");
  ASSERT_TRUE(air);
  ASSERT_EQ(store.for_identifier(*air).size(), 1u);
  EXPECT_EQ(store.for_identifier(*air)[0].matched_by, "civitai-version");
  auto other = hash::classify_identifier("deadbeef");
  EXPECT_TRUE(store.for_identifier(*other).empty());
}

TEST(CivitaiVersion, RefusesMalformedDocumentsNamingTheField) {
  auto missing_id = version();
  missing_id.erase("id");
  auto bad_files = version();
  bad_files["files"] = "none";
  auto bad_hash = version();
  bad_hash["files"][0]["hashes"]["SHA256"] = "xyz";
  auto short_hash = version();
  short_hash["files"][0]["hashes"]["AutoV2"] = "89D59C";
  auto bad_base = version();
  bad_base["baseModel"] = 15;
  const std::pair<std::string, const char*> bad[] = {
      {"{not json", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {missing_id.dump(), "no \"id\""},
      {bad_files.dump(), "\"files\""},
      {bad_hash.dump(), "files[0].hashes.SHA256"},
      {short_hash.dump(), "files[0].hashes.AutoV2"},
      {bad_base.dump(), "baseModel"},
  };
  for (const auto& [text, why] : bad) {
    auto h = parse_civitai_version(text, "v.json");
    ASSERT_FALSE(h) << text;
    EXPECT_EQ(h.error().code(), ErrorCode::k_corruption);
    EXPECT_NE(h.error().message().find(why), std::string::npos) << h.error().message();
  }
}

}  // namespace
}  // namespace pedigree::hints
