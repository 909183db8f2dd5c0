#include "pedigree/hash/identifier.hpp"

#include <gtest/gtest.h>

namespace pedigree::hash {
namespace {

Identifier ok(std::string_view text) {
  auto r = classify_identifier(text);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message());
  return r ? *r : Identifier{};
}

TEST(Identifier, HashesInEveryFormAreHashes) {
  for (std::string_view text : {"925997e9", "AutoV1: 925997E9", "6CE0161689", "AutoV2:6ce0161689",
                                "sha256_12=6ce0161689b3", "CRC32: 74B5AE44"}) {
    auto id = ok(text);
    EXPECT_EQ(id.kind, IdentifierKind::k_hash) << text;
  }
  auto model_hash = ok("Model hash: 925997e9");
  EXPECT_EQ(model_hash.kind, IdentifierKind::k_hash);
  EXPECT_EQ(model_hash.normalized, "925997e9");
  EXPECT_TRUE(model_hash.weak());
  auto modelspec = ok("0x" + std::string(64, 'A'));
  EXPECT_EQ(modelspec.hash.kinds, std::vector<HashKind>{HashKind::k_autov3});
  EXPECT_EQ(modelspec.hash.prefix, "0x");
}

TEST(Identifier, APastedSettingsLineGivesItsHashAndModelName) {
  auto id =
      ok("Steps: 28, Sampler: Euler, CFG scale: 12, Seed: 1, Size: 512x512, Model hash: "
         "89d59c3dde, Model: animefull-final-pruned, Lora hashes: \"x: 0123456789ab\"");
  EXPECT_EQ(id.kind, IdentifierKind::k_hash);
  EXPECT_EQ(id.normalized, "89d59c3dde");
  EXPECT_EQ(id.hash.kinds, (std::vector<HashKind>{HashKind::k_autov2}));
  EXPECT_EQ(id.name, "animefull-final-pruned");
  EXPECT_FALSE(classify_identifier("Steps: 20, Model hash: nothex, Model: a"));
}

TEST(Identifier, CivitaiAirAndUrlsAreAirs) {
  auto air = ok("urn:air:sd1:checkpoint:civitai:4201@130072");
  EXPECT_EQ(air.kind, IdentifierKind::k_air);
  EXPECT_EQ(air.air.ecosystem, "sd1");
  EXPECT_EQ(air.air.type, "checkpoint");
  EXPECT_EQ(air.air.id, "4201");
  EXPECT_EQ(air.air.version, "130072");
  EXPECT_EQ(air.air.key(), "civitai:4201@130072");
  EXPECT_EQ(ok("URN:AIR:SD1:LORA:CIVITAI:1@2.safetensors").air.canonical(),
            "urn:air:sd1:lora:civitai:1@2");
  auto url = ok("https://civitai.com/models/4201/realistic-vision?modelVersionId=130072");
  EXPECT_EQ(url.kind, IdentifierKind::k_air);
  EXPECT_EQ(url.air.key(), "civitai:4201@130072");
  EXPECT_EQ(url.normalized, "urn:air:*:*:civitai:4201@130072");
  EXPECT_EQ(ok(url.normalized).air.key(), "civitai:4201@130072");  // canonical() reads back
  auto version_only = ok("urn:air:*:lora:civitai:*@87153");
  EXPECT_EQ(version_only.air.id, "?");
  EXPECT_EQ(version_only.normalized, "urn:air:*:lora:civitai:*@87153");
  EXPECT_FALSE(classify_identifier("urn:air:sd1:lora:civitai:*"));  // no model, no version
  EXPECT_FALSE(classify_identifier("urn:air:::civitai:?"));         // "?" too (a fuzz finding)
  EXPECT_EQ(ok("urn:air:::civitai:?@5").normalized, "urn:air:*:*:civitai:*@5");
  for (std::string_view bad : {"urn:air:sd1:checkpoint", "urn:air:sd1:checkpoint::1@2",
                               "urn:air:sd1:checkpoint:civitai:1@"})
    EXPECT_FALSE(classify_identifier(bad)) << bad;
}

TEST(Identifier, HuggingFaceRepositoriesNeedARevisionOrAnExplicitForm) {
  auto rev = ok("NovelAI/nai-anime-v1-full@main");
  EXPECT_EQ(rev.kind, IdentifierKind::k_hf_repo);
  EXPECT_EQ(rev.hf.repo, "NovelAI/nai-anime-v1-full");
  EXPECT_EQ(rev.normalized, "novelai/nai-anime-v1-full@main");
  EXPECT_EQ(ok("hf:WarriorMama777/OrangeMixs").kind, IdentifierKind::k_hf_repo);
  auto url = ok("https://huggingface.co/WarriorMama777/OrangeMixs/blob/f8b6eaf/x.safetensors");
  EXPECT_EQ(url.kind, IdentifierKind::k_hf_repo);
  EXPECT_EQ(url.hf.revision, "f8b6eaf");
  // A bare owner/name is a relative path, not a repository.
  EXPECT_EQ(ok("models/anything").kind, IdentifierKind::k_name);
}

TEST(Identifier, NamesStayNamesAndBrokenPrefixesAreErrors) {
  auto name = ok("  AbyssOrangeMix2_sfw.safetensors ");
  EXPECT_EQ(name.kind, IdentifierKind::k_name);
  EXPECT_EQ(name.normalized, "AbyssOrangeMix2_sfw.safetensors");
  EXPECT_EQ(ok("Anything V3").kind, IdentifierKind::k_name);
  EXPECT_FALSE(classify_identifier("AutoV2: 925997e9"));  // 8 digits cannot be AutoV2
  EXPECT_FALSE(classify_identifier("   "));
}

TEST(Identifier, PastedMayBeFollowsLengthAndPrefix) {
  auto bare8 = ok("925997e9").hash;
  EXPECT_TRUE(pasted_may_be(bare8, "autov1"));
  EXPECT_TRUE(pasted_may_be(bare8, "crc32"));
  EXPECT_FALSE(pasted_may_be(bare8, "sha256"));
  auto v1 = ok("AutoV1:925997e9").hash;
  EXPECT_FALSE(pasted_may_be(v1, "crc32"));
  auto v2 = ok("6ce0161689").hash;
  EXPECT_TRUE(pasted_may_be(v2, "sha256"));
  EXPECT_TRUE(pasted_may_be(v2, "autov2"));
  auto full = ok(std::string(64, 'b')).hash;
  EXPECT_TRUE(pasted_may_be(full, "unet"));
  EXPECT_FALSE(pasted_may_be(ok("0x" + std::string(64, 'b')).hash, "sha256"));
}

}  // namespace
}  // namespace pedigree::hash
