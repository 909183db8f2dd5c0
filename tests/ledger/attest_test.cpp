// ledger/attest.hpp: statements built from files and arguments, and the size
// limits (fingerprint events up to k_max_event_bytes, others small).
#include <gtest/gtest.h>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/examine/attest.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/ledger/attest.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/verify.hpp"
#include "support/ledger_support.hpp"

namespace pedigree {
namespace {

const std::string k_sample = std::string(PEDIGREE_TEST_DATA) + "/sample_sd1_tiny.safetensors";

TEST(Attest, DecimalStringsAreShortAndValid) {
  EXPECT_EQ(ledger::decimal_string(0.3), "0.3");
  EXPECT_EQ(ledger::decimal_string(-1), "-1");
  EXPECT_EQ(ledger::decimal_string(0.75), "0.75");
  EXPECT_EQ(ledger::decimal_string(-0.0), "0");
  EXPECT_EQ(ledger::decimal_string(1e-12), "0");
  for (double v : {0.1, 2.5, -0.333333333333, 12345.678}) {
    EXPECT_TRUE(ledger::is_decimal_string(ledger::decimal_string(v))) << v;
  }
}

TEST(Attest, ModelAndFingerprintStatementsOfARealCheckpoint) {
  // One pass gives the hashes and the fingerprint (examine/attest.hpp).
  auto file = examine::examine_model_file(k_sample, nullptr, examine::FingerprintPass::k_build);
  ASSERT_TRUE(file) << file.error().message();
  const ledger::FileFacts* facts = &file->facts;
  EXPECT_EQ(facts->architecture, "sd1");
  auto model = ledger::model_statement(*facts, {"Tiny", "2022-10", "", "", "base"});
  ASSERT_TRUE(model) << model.error().message();
  EXPECT_EQ(model->subject.sha256, *facts->hashes.sha256);
  EXPECT_EQ(model->subject.weights, *facts->hashes.weights);
  EXPECT_EQ(model->predicate["hashes"]["sha256_12"], facts->hashes.sha256->substr(0, 12));
  EXPECT_FALSE(ledger::model_statement(*facts, {"", "2022-13-01", "", "", ""}));
  EXPECT_FALSE(ledger::model_statement(*facts, {"", "", "", "", "grandparent"}));

  ASSERT_TRUE(file->fp_file) << file->fp_error->message();
  auto fp = ledger::fingerprint_statement(model->subject, *file->fp_file);
  ASSERT_TRUE(fp) << fp.error().message();
  // The same bytes as a pass that only fingerprints.
  auto expected = fingerprint::serialize(*examine::fingerprint_path(k_sample));
  EXPECT_EQ(*crypto::base64_decode(fp->predicate["data"].get<std::string>()), expected);
  EXPECT_EQ(fp->predicate["sha256"], crypto::sha256_hex(expected));
}

TEST(Attest, FingerprintEventsMayReachTheEventLimitOtherPredicatesMayNot) {
  auto key = *crypto::PrivateKey::generate();
  ledger::KeyRing ring;
  ring.add({key.public_key(), {"t", "t@e"}});
  ledger::Subject subject{"", std::string(64, 'a'), ""};
  // ~1.1 MB of base64, as a full SD1 spec-v2 fingerprint: signs and verifies.
  ledger::Statement fp{subject,
                       ledger::PredicateKind::k_fingerprint,
                       {{"spec", ledger::k_fingerprint_spec},
                        {"encoding", "base64"},
                        {"data", std::string(1100 * 1024, 'A')}}};
  auto bytes = ledger::sign_statement(fp, key);
  ASSERT_TRUE(bytes) << bytes.error().message();
  EXPECT_GT(bytes->size(), 1400u * 1024);
  auto rel = ledger::event_path(subject.sha256, crypto::sha256_hex(*bytes));
  EXPECT_TRUE(ledger::verify_event_file(rel, *bytes, ring));
  // An event that would exceed the limit is refused whole, never cut.
  fp.predicate["data"] = std::string(1600 * 1024, 'A');
  auto too_big = ledger::sign_statement(fp, key);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code(), ErrorCode::k_invalid_argument);
  EXPECT_NE(too_big.error().message().find("exceeds the limit of 2097152"), std::string::npos)
      << too_big.error().message();
  // A lineage payload over 16 KiB is refused when signing (and would be
  // invalid when read).
  std::vector<ledger::ParentRef> parents;
  for (int i = 0; i < 16; ++i) {
    parents.push_back({crypto::sha256_hex(std::to_string(i)), "", std::string(1024, 'n'), "", {}});
  }
  auto lineage = ledger::lineage_statement(subject, parents, {"merge", "m", "other", ""});
  ASSERT_TRUE(lineage);
  auto refused = ledger::sign_statement(*lineage, key);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("lineage payload"), std::string::npos);
}

TEST(Attest, ClaimEvidenceAndLineageArgumentsAreChecked) {
  ledger::Subject s{"", std::string(64, 'a'), ""};
  auto claim = ledger::claim_statement(
      s, "yes", "b", {"url:https://x/y:z", "text:a:b", "image-sha256:" + std::string(64, 'c')});
  ASSERT_TRUE(claim) << claim.error().message();
  EXPECT_EQ(claim->predicate["evidence"][0]["value"], "https://x/y:z");
  EXPECT_EQ(claim->predicate["evidence"][1]["value"], "a:b");
  EXPECT_FALSE(ledger::claim_statement(s, "yes", "b", {"image-sha256:xyz"}));
  EXPECT_FALSE(ledger::claim_statement(s, "yes", "b", {"nonsense"}));
  auto bad_relation = ledger::lineage_statement(s, {{std::string(64, 'b'), "", "", "", {}}},
                                                {"cousin", "m", "other", ""});
  ASSERT_FALSE(bad_relation);
  EXPECT_EQ(bad_relation.error().code(), ErrorCode::k_invalid_argument);
  EXPECT_NE(bad_relation.error().message().find("cousin"), std::string::npos);
}

}  // namespace
}  // namespace pedigree
