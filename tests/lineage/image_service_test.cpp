// Pictures made by NovelAI's own service (tools/make-image-fixtures writes
// them the way the service does): recognised, and never called leak use.
#include "pedigree/lineage/image_service.hpp"

#include <gtest/gtest.h>

#include "pedigree/util/file.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::lineage {
namespace {

class ImageService : public ::testing::Test {
protected:
  void SetUp() override {
    auto r = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                  "/tools/make-image-fixtures " + m_dir.path().string());
    ASSERT_EQ(r.exit_code, 0);
  }
  pictures::ImageMetadata read(const std::string& name) {
    auto text = read_file(m_dir / name);
    EXPECT_TRUE(text) << name;
    auto meta = pictures::read_image_metadata(
        ByteView(reinterpret_cast<const std::uint8_t*>(text->data()), text->size()), name);
    EXPECT_TRUE(meta) << name;
    return meta ? *meta : pictures::ImageMetadata{};
  }
  testing::TempDir m_dir;
};

TEST_F(ImageService, RecognisesTheServiceMarkerAndItsModel) {
  auto full = novelai_service(read("novelai.png"));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->model_hash, "81274D13");
  EXPECT_NE(full->model.find("(Full)"), std::string::npos) << full->model;
  auto curated = novelai_service(read("novelai_curated.png"));
  ASSERT_TRUE(curated);
  EXPECT_EQ(curated->model_hash, "1D44365E");
  EXPECT_NE(curated->model.find("(Curated)"), std::string::npos) << curated->model;
  // Local generators write no marker.
  EXPECT_FALSE(novelai_service(read("a1111_text.png")));
  EXPECT_FALSE(novelai_service(read("plain.png")));
}

TEST_F(ImageService, SourceAloneCountsOnlyForAKnownServiceModel) {
  pictures::ImageMetadata meta;
  meta.source = "Stable Diffusion 81274d13";  // case as a re-encoder may write it
  ASSERT_TRUE(novelai_service(meta));
  meta.source = "Stable Diffusion 12345678";  // an unknown hash without Software: NovelAI
  EXPECT_FALSE(novelai_service(meta));
  meta.software = "NovelAI";  // the service, a model this build does not know
  auto s = novelai_service(meta);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->model.empty());
  meta.source = "Stable Diffusion 81274D13 trailing";
  EXPECT_EQ(novelai_service(meta)->model_hash, "");
}

TEST_F(ImageService, VerdictSaysServiceUseNotLeak) {
  Verdict v = novelai_service_verdict(*novelai_service(read("novelai.png")));
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_official);
  EXPECT_NE(v.summary.find("NovelAI's own image service"), std::string::npos) << v.summary;
  EXPECT_NE(v.summary.find("not the leaked files"), std::string::npos) << v.summary;
  ASSERT_EQ(v.evidence.size(), 1u);
  EXPECT_EQ(v.evidence[0].kind, "service");
  EXPECT_NE(v.evidence[0].summary.find("Stable Diffusion 81274D13"), std::string::npos);
  EXPECT_NE(v.evidence[0].summary.find("forgeable"), std::string::npos);
  EXPECT_LT(v.confidence, 0.9);  // picture metadata is forgeable
  EXPECT_FALSE(v.next_steps.empty());
}

}  // namespace
}  // namespace pedigree::lineage
