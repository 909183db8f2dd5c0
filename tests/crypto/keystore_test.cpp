#include "pedigree/crypto/keystore.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/util/hex.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::crypto {
namespace {

using pedigree::testing::run_command;
using pedigree::testing::shell_quote;
using pedigree::testing::TempDir;

unsigned file_mode(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(KeyStore, GeneratesPrivateKeysWithMode0600AndAKeyidOpensslAgreesWith) {
  TempDir dir;
  KeyStore store(dir / "keys");
  auto info = store.generate({"Alice", "alice@example.org"}, std::nullopt);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(file_mode(info->pem_path), 0600u);
  EXPECT_EQ(file_mode(dir / "keys"), 0700u);
  // keyid = SHA-256 of the raw public key: the last 32 bytes of the DER SPKI openssl prints.
  auto der = run_command("openssl pkey -in " + shell_quote(info->pem_path.string()) +
                         " -pubout -outform DER | tail -c 32 | sha256sum");
  ASSERT_EQ(der.exit_code, 0);
  EXPECT_EQ(der.output.substr(0, 64), info->keyid);
  auto found = store.find(info->keyid.substr(0, 10));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->identity.email, "alice@example.org");
  auto key = store.load(*found, std::nullopt);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->keyid(), info->keyid);
}

TEST(KeyStore, EncryptedKeysNeedTheirPassphrase) {
  TempDir dir;
  KeyStore store(dir / "keys");
  auto info = store.generate({"Bob", ""}, std::string_view("s3cret"));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->encrypted);
  EXPECT_NE(pedigree::testing::read_text(info->pem_path).find("ENCRYPTED"), std::string::npos);
  auto wrong = store.load(*info, std::string_view("nope"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::k_untrusted);
  EXPECT_FALSE(store.load(*info, std::nullopt));
  EXPECT_TRUE(store.load(*info, std::string_view("s3cret")));
  // openssl decrypts it with the same passphrase.
  auto check = run_command("openssl pkey -in " + shell_quote(info->pem_path.string()) +
                           " -passin pass:s3cret -noout 2>&1");
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST(KeyStore, FindNeedsAnUnambiguousPrefix) {
  TempDir dir;
  KeyStore store(dir / "keys");
  EXPECT_EQ(store.find("").error().code(), ErrorCode::k_not_found);
  ASSERT_TRUE(store.generate({"A", ""}, std::nullopt));
  EXPECT_TRUE(store.find(""));
  ASSERT_TRUE(store.generate({"B", ""}, std::nullopt));
  EXPECT_EQ(store.find("").error().code(), ErrorCode::k_invalid_argument);
  EXPECT_EQ(store.find("abc").error().code(), ErrorCode::k_invalid_argument);
}

TEST(Digest, Sha256MatchesKnownVector) {
  // FIPS 180-2 example "abc".
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace pedigree::crypto
