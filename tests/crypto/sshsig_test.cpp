#include "pedigree/crypto/sshsig.hpp"

#include <gtest/gtest.h>

#include "pedigree/crypto/base64.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::crypto {
namespace {

using pedigree::testing::read_text;
using pedigree::testing::run_command;
using pedigree::testing::shell_quote;
using pedigree::testing::TempDir;
using pedigree::testing::write_text;

// Runs `ssh-keygen -Y verify` (the independent implementation) on `message`.
int ssh_keygen_verify(const TempDir& dir, const std::string& allowed, const std::string& principal,
                      const std::string& signature, const std::string& message) {
  write_text(dir / "allowed_signers", allowed + "\n");
  write_text(dir / "msg.sig", signature);
  write_text(dir / "msg", message);
  auto r = run_command(
      "ssh-keygen -Y verify -f " + shell_quote((dir / "allowed_signers").string()) + " -I " +
      shell_quote(principal) + " -n git -s " + shell_quote((dir / "msg.sig").string()) + " < " +
      shell_quote((dir / "msg").string()) + " 2>&1");
  return r.exit_code;
}

TEST(SshSig, SshKeygenVerifiesOurSignatureAndRejectsATamperedMessage) {
  TempDir dir;
  auto key = PrivateKey::generate();
  ASSERT_TRUE(key);
  std::string message = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nhello\n";
  auto sig = sshsig_sign(*key, message, k_sshsig_git_namespace);
  ASSERT_TRUE(sig) << sig.error().message();
  EXPECT_TRUE(sig->starts_with("-----BEGIN SSH SIGNATURE-----\n"));
  EXPECT_TRUE(sig->ends_with("-----END SSH SIGNATURE-----\n"));
  auto line = allowed_signers_line(key->public_key(), "alice@example.org");
  ASSERT_TRUE(line);
  EXPECT_EQ(ssh_keygen_verify(dir, *line, "alice@example.org", *sig, message), 0);
  EXPECT_NE(ssh_keygen_verify(dir, *line, "alice@example.org", *sig, message + "x"), 0);
  // The namespaces="git" restriction: the same signature in another namespace is refused.
  auto other = sshsig_sign(*key, message, "file");
  ASSERT_TRUE(other);
  EXPECT_NE(ssh_keygen_verify(dir, *line, "alice@example.org", *other, message), 0);
}

TEST(SshSig, VerifiesASignatureMadeBySshKeygen) {
  TempDir dir;
  auto gen = run_command("ssh-keygen -q -t ed25519 -N '' -C test -f " +
                         shell_quote((dir / "id").string()) + " 2>&1");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  std::string message = "signed by OpenSSH\n";
  write_text(dir / "m", message);
  auto sign = run_command("ssh-keygen -q -Y sign -n git -f " + shell_quote((dir / "id").string()) +
                          " " + shell_quote((dir / "m").string()) + " 2>&1");
  ASSERT_EQ(sign.exit_code, 0) << sign.output;
  std::string pub_line = read_text(dir / "id.pub");
  // "ssh-ed25519 <b64> test": the raw key is the last 32 bytes of the wire blob.
  auto b64 = pub_line.substr(12, pub_line.find(' ', 12) - 12);
  auto wire = base64_decode(b64);
  ASSERT_TRUE(wire && wire->size() == 51);
  auto pub =
      PublicKey::from_raw(ByteView(reinterpret_cast<const std::uint8_t*>(wire->data()) + 19, 32));
  ASSERT_TRUE(pub);
  EXPECT_EQ(ssh_public_key_line(*pub, "test") + "\n", pub_line);
  std::string armored = read_text(dir / "m.sig");
  EXPECT_TRUE(sshsig_verify(*pub, armored, message, "git"));
  auto wrong_ns = sshsig_verify(*pub, armored, message, "file");
  ASSERT_FALSE(wrong_ns);
  EXPECT_EQ(wrong_ns.error().code(), ErrorCode::k_untrusted);
  auto wrong_msg = sshsig_verify(*pub, armored, message + "!", "git");
  ASSERT_FALSE(wrong_msg);
  EXPECT_EQ(wrong_msg.error().code(), ErrorCode::k_untrusted);
}

TEST(SshSig, RejectsMalformedArmorAndTruncatedBlobs) {
  auto key = PrivateKey::generate();
  ASSERT_TRUE(key);
  auto sig = sshsig_sign(*key, "m", "git");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(sshsig_verify(key->public_key(), *sig, "m", "git"));
  auto no_armor = sshsig_verify(key->public_key(), "AAAA", "m", "git");
  ASSERT_FALSE(no_armor);
  EXPECT_EQ(no_armor.error().code(), ErrorCode::k_corruption);
  // Cut the base64 body: the blob's strings then overrun it.
  std::string truncated =
      "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAAL\n"
      "-----END SSH SIGNATURE-----\n";
  auto cut = sshsig_verify(key->public_key(), truncated, "m", "git");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), ErrorCode::k_corruption);
  auto other = PrivateKey::generate();
  ASSERT_TRUE(other);
  auto wrong_key = sshsig_verify(other->public_key(), *sig, "m", "git");
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error().code(), ErrorCode::k_untrusted);
}

TEST(SshSig, AllowedSignersLineRefusesPrincipalsThatChangeItsMeaning) {
  auto key = PrivateKey::generate();
  ASSERT_TRUE(key);
  EXPECT_FALSE(allowed_signers_line(key->public_key(), ""));
  EXPECT_FALSE(allowed_signers_line(key->public_key(), "a b"));
  EXPECT_FALSE(allowed_signers_line(key->public_key(), "a,*"));
  EXPECT_FALSE(allowed_signers_line(key->public_key(), "a\"b"));
  auto ok = allowed_signers_line(key->public_key(), "bob@example.org");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(
      ok->starts_with("bob@example.org namespaces=\"git\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
}

}  // namespace
}  // namespace pedigree::crypto
