#include "pedigree/crypto/dsse.hpp"

#include <gtest/gtest.h>

#include "pedigree/crypto/base64.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::crypto {
namespace {

using pedigree::testing::run_command;
using pedigree::testing::shell_quote;
using pedigree::testing::TempDir;
using pedigree::testing::write_text;

TEST(Dsse, PaeMatchesTheSpecTestVector) {
  // secure-systems-lab/dsse protocol.md test vector.
  EXPECT_EQ(pae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
}

TEST(Base64, Rfc4648VectorsAndStrictDecoding) {
  EXPECT_EQ(base64_encode(std::string_view("")), "");
  EXPECT_EQ(base64_encode(std::string_view("f")), "Zg==");
  EXPECT_EQ(base64_encode(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(*base64_decode("Zm9vYg=="), "foob");
  EXPECT_FALSE(base64_decode("Zm9vYh=="));  // non-zero unused bits
  EXPECT_FALSE(base64_decode("Zm9vYg"));    // missing padding
  EXPECT_FALSE(base64_decode("Zm9v\nYg=="));
}

TEST(Dsse, SignedEnvelopeRoundTripsAndDetectsChanges) {
  auto key = PrivateKey::generate();
  ASSERT_TRUE(key);
  auto env = sign_envelope("application/vnd.in-toto+json", "{\"a\":1}", *key);
  ASSERT_TRUE(env);
  std::string bytes = serialize_envelope(*env);
  auto parsed = parse_envelope(bytes, "e.json", 4096);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_TRUE(verify_envelope(*parsed, key->public_key()));
  parsed->payload = "{\"a\":2}";
  auto changed = verify_envelope(*parsed, key->public_key());
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code(), ErrorCode::k_untrusted);
  auto other = PrivateKey::generate();
  EXPECT_EQ(verify_envelope(*env, other->public_key()).error().code(), ErrorCode::k_not_found);
}

TEST(Dsse, ParseRefusesMalformedEnvelopes) {
  EXPECT_FALSE(
      parse_envelope("{\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[]}", "e", 1000));
  EXPECT_FALSE(
      parse_envelope("{\"extra\":1,\"payload\":\"eA==\",\"payloadType\":\"t\","
                     "\"signatures\":[]}",
                     "e", 1000));
  EXPECT_FALSE(
      parse_envelope("{\"payload\":\"eA=\",\"payloadType\":\"t\",\"signatures\":"
                     "[{\"keyid\":\"00\",\"sig\":\"eA==\"}]}",
                     "e", 1000));
}

TEST(Dsse, OpensslVerifiesPedigreeSignaturesOverPae) {
  TempDir dir;
  auto key = PrivateKey::generate();
  ASSERT_TRUE(key);
  const std::string type = "application/vnd.in-toto+json";
  auto env = sign_envelope(type, "{\"_type\":\"https://in-toto.io/Statement/v1\"}", *key);
  ASSERT_TRUE(env);
  write_text(dir / "pub.pem", key->public_key().to_pem());
  write_text(dir / "pae.bin", pae(type, env->payload));
  write_text(dir / "sig.bin", env->signatures[0].sig);
  std::string cmd = "openssl pkeyutl -verify -rawin -pubin -inkey " +
                    shell_quote((dir / "pub.pem").string()) + " -in " +
                    shell_quote((dir / "pae.bin").string()) + " -sigfile " +
                    shell_quote((dir / "sig.bin").string()) + " 2>&1";
  auto ok = run_command(cmd);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Signature Verified Successfully"), std::string::npos);
  write_text(dir / "pae.bin", pae(type, env->payload + " "));
  EXPECT_NE(run_command(cmd).exit_code, 0);
}

TEST(Dsse, PedigreeVerifiesAnEnvelopeSignedByOpenssl) {
  TempDir dir;
  auto gen = run_command("openssl genpkey -algorithm ed25519 -out " +
                         shell_quote((dir / "k.pem").string()) + " 2>&1 && openssl pkey -in " +
                         shell_quote((dir / "k.pem").string()) + " -pubout 2>&1");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  auto pub = PublicKey::from_pem(gen.output);
  ASSERT_TRUE(pub) << pub.error().message();
  const std::string type = "application/vnd.in-toto+json";
  const std::string payload = "{\"predicate\":{},\"predicateType\":\"x\"}";
  write_text(dir / "pae.bin", pae(type, payload));
  auto sig =
      run_command("openssl pkeyutl -sign -rawin -inkey " + shell_quote((dir / "k.pem").string()) +
                  " -in " + shell_quote((dir / "pae.bin").string()));
  ASSERT_EQ(sig.exit_code, 0);
  ASSERT_EQ(sig.output.size(), 64u);
  Envelope env{type, payload, {{pub->keyid(), sig.output}}};
  auto parsed = parse_envelope(serialize_envelope(env), "openssl.json", 4096);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(verify_envelope(*parsed, *pub));
  // The private key OpenSSL wrote is readable too, and signs identically (Ed25519 is
  // deterministic).
  auto priv = PrivateKey::from_pem(pedigree::testing::read_text(dir / "k.pem"), std::nullopt);
  ASSERT_TRUE(priv);
  EXPECT_EQ(priv->keyid(), pub->keyid());
  EXPECT_EQ(*priv->sign(pae(type, payload)), sig.output);
}

}  // namespace
}  // namespace pedigree::crypto
