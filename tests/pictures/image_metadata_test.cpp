// Image metadata: pictures written by tools/make-image-fixtures (python,
// from the PNG/EXIF/RIFF specs) and hostile variants of them.
#include "pedigree/pictures/image_metadata.hpp"

#include <gtest/gtest.h>

#include <zlib.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pedigree/util/file.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::pictures {
namespace {

using testing::TempDir;

class ImageMetadata_ : public ::testing::Test {
protected:
  void SetUp() override {
    auto r = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                  "/tools/make-image-fixtures " + m_dir.path().string() +
                                  " --model-hash 89d59c3dde --model-name animefull-final-pruned");
    ASSERT_EQ(r.exit_code, 0);
    auto text = read_file(m_dir / "expected.json");
    ASSERT_TRUE(text);
    m_expected = nlohmann::json::parse(*text);
  }
  std::string bytes(const std::string& name) {
    auto t = read_file(m_dir / name);
    EXPECT_TRUE(t) << name;
    return t ? *t : std::string();
  }
  Result<ImageMetadata> parse(const std::string& data, const std::string& name = "x") {
    return read_image_metadata(
        ByteView(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), name);
  }
  TempDir m_dir;
  nlohmann::json m_expected;
};

TEST_F(ImageMetadata_, ReadsEveryGeneratedPictureAsExpected) {
  ASSERT_GE(m_expected.size(), 8u);
  for (const auto& [name, want] : m_expected.items()) {
    auto meta = parse(bytes(name), name);
    ASSERT_TRUE(meta) << name << ": " << meta.error().message();
    ASSERT_EQ(meta->models.size(), want["models"].size()) << name;
    for (std::size_t i = 0; i < meta->models.size(); ++i) {
      EXPECT_EQ(meta->models[i].hash, want["models"][i]["hash"].get<std::string>()) << name;
      EXPECT_EQ(meta->models[i].name, want["models"][i]["name"].get<std::string>()) << name;
      EXPECT_EQ(meta->models[i].role, want["models"][i].value("role", "checkpoint")) << name;
    }
    EXPECT_EQ(meta->software, want.value("software", "")) << name;
    EXPECT_EQ(meta->source, want.value("source", "")) << name;
  }
}

TEST_F(ImageMetadata_, DetectsFormats) {
  EXPECT_EQ(parse(bytes("a1111.jpg"))->format, ImageFormat::k_jpeg);
  EXPECT_EQ(parse(bytes("a1111.webp"))->format, ImageFormat::k_webp);
  EXPECT_EQ(parse(bytes("comfyui.png"))->format, ImageFormat::k_png);
  auto r = parse("not an image at all");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::k_not_supported);
}

TEST_F(ImageMetadata_, EveryTruncationIsACleanError) {
  for (const char* name : {"a1111_ztxt.png", "a1111.jpg", "a1111.webp", "comfyui.png"}) {
    std::string data = bytes(name);
    for (std::size_t n = 0; n < data.size(); ++n) {
      auto r = parse(data.substr(0, n), name);  // must not crash (ASan checks reads)
      if (!r) {
        EXPECT_NE(r.error().message().find(name), std::string::npos);
      }
    }
  }
}

TEST_F(ImageMetadata_, CorruptedPngChunkCrcIsReported) {
  std::string data = bytes("a1111_text.png");
  data[40] ^= 0x01;  // inside the tEXt chunk after IHDR (33 bytes)
  auto r = parse(data, "bad.png");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("CRC mismatch"), std::string::npos);
}

TEST_F(ImageMetadata_, ZipBombIsRefused) {
  // A zTXt "parameters" chunk inflating to 8 MiB of spaces, built with zlib here.
  std::string big(8u << 20, ' ');
  uLongf len = compressBound(big.size());
  std::string z(len, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &len,
                      reinterpret_cast<const Bytef*>(big.data()), big.size(), 9),
            Z_OK);
  z.resize(len);
  std::string body = std::string("parameters") + '\0' + '\0' + z;
  std::string chunk;
  auto be32 = [](std::uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  std::string type_body = "zTXt" + body;
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(type_body.data()), type_body.size());
  chunk = be32(body.size()) + type_body + be32(static_cast<std::uint32_t>(crc));
  std::string png = bytes("plain.png");
  png.insert(33, chunk);  // after the signature (8) and IHDR (25)
  auto r = parse(png, "bomb.png");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("inflates beyond"), std::string::npos);
}

TEST(ImageParameters, ParsesTheSettingsLine) {
  auto p = parse_a1111_parameters(
      "a girl, \"x, y\"\nNegative prompt: bad\nSteps: 20, Sampler: Euler a, Model hash: 925997e9, "
      "Model: animefull, VAE hash: f921fb3f29, VAE: animevae.pt, Version: v1.6.0");
  EXPECT_EQ(p.model_hash, "925997e9");
  EXPECT_EQ(p.model_name, "animefull");
  EXPECT_EQ(p.vae_hash, "f921fb3f29");
  EXPECT_EQ(p.vae_name, "animevae.pt");
  auto q = parse_a1111_parameters("Steps: 5, Lora hashes: \"a: 1, b: 2\", Model: \"m, n\"");
  EXPECT_EQ(q.model_name, "m, n");
  EXPECT_TRUE(parse_a1111_parameters("").model_hash.empty());
}

TEST(ImageParameters, ComfyJsonIsBoundedAndValidated) {
  std::string deep(1000, '[');
  auto r = comfyui_checkpoints(deep, "prompt");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("nested deeper"), std::string::npos);
  EXPECT_FALSE(comfyui_checkpoints("{", "prompt"));
  auto ok = comfyui_checkpoints(
      R"({"1":{"class_type":"UNETLoader","inputs":{"unet_name":"u.safetensors"}}})", "prompt");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].name, "u.safetensors");
}

TEST(ImageParameters, UserCommentCharsets) {
  auto view = [](const std::string& s) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  EXPECT_EQ(decode_user_comment(view(std::string("UNICODE\0\0h\0i", 12))), "hi");
  EXPECT_EQ(decode_user_comment(view(std::string("UNICODE\0h\0i\0", 12))), "hi");  // little-endian
  EXPECT_EQ(decode_user_comment(view(std::string("ASCII\0\0\0hi", 10))), "hi");
  EXPECT_EQ(decode_user_comment(view(std::string("UNICODE\0\0a\0b\xd8\x3d\xde\x00", 16))),
            "ab\xf0\x9f\x98\x80");  // U+1F600 as a surrogate pair
}

}  // namespace
}  // namespace pedigree::pictures
