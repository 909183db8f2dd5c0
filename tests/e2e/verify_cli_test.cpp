// Bad input through the real binary: every kind of damage issue 5 lists is
// reported by `pedigree verify` with its path and the documented exit code,
// and none of it enters the index as valid once committed.
#include "e2e/ledger_cli.hpp"

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/dsse.hpp"
#include "pedigree/crypto/keystore.hpp"
#include "pedigree/ledger/verify.hpp"

namespace pedigree {
namespace {

using testing::CliHome;
using testing::run_command;
using testing::shell_quote;

// A ledger holding one trusted claim event by Alice.
class VerifyCli : public ::testing::Test {
protected:
  void SetUp() override {
    m_keyid = m_home.setup_key_and_ledger();
    m_home.ok("trust add " + m_keyid);
    m_subject = std::string(64, 'b');
    m_event = m_home.attest_claim(m_subject);
    m_path = ledger::event_path(m_subject, m_event);
  }
  std::string ledger_arg() const { return " --ledger " + shell_quote(m_home.ledger().string()); }
  nlohmann::json verify(int expected_status, const std::string& args = "") {
    auto r = m_home.run("verify --json" + args + ledger_arg());
    EXPECT_EQ(r.status, expected_status) << r.err << r.out;
    return r.out.empty() ? nlohmann::json() : r.json();
  }
  // The one listed file of a report with `outcome`, at `path`.
  static void expect_listed(const nlohmann::json& report, const std::string& path,
                            const std::string& outcome, const std::string& message_part) {
    bool found = false;
    for (const auto& f : report["files"]) {
      if (f["path"] != path) continue;
      found = true;
      EXPECT_EQ(f["outcome"], outcome) << f.dump();
      EXPECT_NE(f["message"].get<std::string>().find(message_part), std::string::npos) << f.dump();
    }
    EXPECT_TRUE(found) << path << " not in " << report.dump(2);
  }
  // Commits the working tree with git and checks the index still holds
  // exactly the one valid event.
  void expect_index_keeps_only_the_valid_event() {
    ASSERT_EQ(m_home.in_ledger("git add -A && git -c user.name=t -c user.email=t@e commit -qm bad")
                  .exit_code,
              0);
    auto status = m_home.ok("index status --json" + ledger_arg()).json();
    EXPECT_EQ(status["counts"]["valid"], 1) << status.dump();
    EXPECT_EQ(status["counts"]["untrusted"], 0) << status.dump();
  }
  crypto::Envelope envelope() const {
    return *crypto::parse_envelope(testing::read_text(m_home.ledger() / m_path), "e", 1 << 20);
  }
  // Writes envelope bytes at their content-addressed path under `subject`.
  std::string write_event(const std::string& subject, const std::string& bytes) {
    std::string rel = ledger::event_path(subject, crypto::sha256_hex(bytes));
    testing::write_text(m_home.ledger() / rel, bytes);
    return rel;
  }
  crypto::PrivateKey alice_key() const {
    auto store = crypto::KeyStore(m_home.dir() / "config/pedigree/keys");
    return *store.load(*store.find(m_keyid), std::nullopt);
  }

  CliHome m_home;
  std::string m_keyid, m_subject, m_event, m_path;
};

TEST_F(VerifyCli, ACleanLedgerVerifiesAndUntrustedKeysAreCountedNotFailed) {
  auto report = verify(0);
  EXPECT_EQ(report["counts"]["valid"], 1);
  EXPECT_TRUE(report["ok"].get<bool>());
  m_home.ok("trust remove " + m_keyid);
  report = verify(0, " --all");
  EXPECT_EQ(report["counts"]["untrusted"], 1);
  expect_listed(report, m_path, "untrusted", "not trusted for claim");
  // One event file alone, by path.
  auto one = m_home.run("verify --json " + shell_quote((m_home.ledger() / m_path).string()));
  EXPECT_EQ(one.status, 0) << one.err;
  EXPECT_EQ(one.json()["counts"]["untrusted"], 1);
}

TEST_F(VerifyCli, ForgedSignatureIsReportedAsBadSignature) {
  auto env = envelope();
  auto mallory = *crypto::PrivateKey::generate();
  env.signatures[0].sig = *mallory.sign(crypto::pae(env.payload_type, env.payload));
  // keyid still claims Alice.
  auto rel = write_event(m_subject, crypto::serialize_envelope(env));
  auto report = verify(6);
  EXPECT_EQ(report["counts"]["bad-signature"], 1);
  expect_listed(report, rel, "bad-signature", "does not verify");
  expect_index_keeps_only_the_valid_event();
}

TEST_F(VerifyCli, PayloadChangedAfterSigningIsReportedAsBadSignature) {
  auto env = envelope();
  auto pos = env.payload.find("\"no\"");
  ASSERT_NE(pos, std::string::npos);
  env.payload.replace(pos, 4, "\"yes\"");
  auto rel = write_event(m_subject, crypto::serialize_envelope(env));
  auto report = verify(6);
  expect_listed(report, rel, "bad-signature", "does not verify");
  expect_index_keeps_only_the_valid_event();
}

TEST_F(VerifyCli, EventByAKeyTheLedgerDoesNotHoldIsReportedAsUnknownKey) {
  auto stranger = *crypto::PrivateKey::generate();
  ledger::Statement st;
  st.subject.sha256 = m_subject;
  st.kind = ledger::PredicateKind::k_claim;
  st.predicate = {{"contains_nai", "yes"}, {"basis", "trust me"}};
  auto rel = write_event(m_subject, *ledger::sign_statement(st, stranger));
  auto report = verify(6);
  expect_listed(report, rel, "unknown-key", "unknown key " + stranger.keyid());
  expect_index_keeps_only_the_valid_event();
}

TEST_F(VerifyCli, RevokedEventIsCountedAndListedWithAll) {
  m_home.ok("attest revoke " + m_event + ledger_arg() + " --reason wrong");
  auto report = verify(0, " --all");
  EXPECT_EQ(report["counts"]["revoked"], 1);
  EXPECT_EQ(report["counts"]["valid"], 1);  // the revocation itself
  expect_listed(report, m_path, "revoked", "revoked by event");
  auto status = m_home.ok("index status --json" + ledger_arg()).json();
  EXPECT_EQ(status["counts"]["revoked"], 1);
}

TEST_F(VerifyCli, EventUnderTheWrongSubjectDirectoryIsMalformed) {
  const std::string other(64, 'e');
  auto rel = ledger::event_path(other, m_event);
  testing::write_text(m_home.ledger() / rel, testing::read_text(m_home.ledger() / m_path));
  auto report = verify(4);
  expect_listed(report, rel, "malformed", "statement's subject is " + m_subject);
  expect_index_keeps_only_the_valid_event();
}

TEST_F(VerifyCli, MalformedJsonIsMalformed) {
  auto rel = write_event(m_subject, "{\"payload\": not json");
  auto report = verify(4);
  expect_listed(report, rel, "malformed", rel);
  expect_index_keeps_only_the_valid_event();
}

TEST_F(VerifyCli, OversizedEventIsMalformedAndNamesTheLimit) {
  std::string big = "{\"payload\":\"" + std::string(2200 * 1024, 'A') + "\"}";
  auto rel = write_event(m_subject, big);
  auto report = verify(4);
  expect_listed(report, rel, "malformed", "larger than the limit of 2097152");
  expect_index_keeps_only_the_valid_event();
}

TEST_F(VerifyCli, SymlinkAndStrayFilesAreBadFiles) {
  std::filesystem::create_symlink(m_home.ledger() / m_path,
                                  m_home.ledger() / "events" / "link.json");
  testing::write_text(m_home.ledger() / "notes.txt", "hello\n");
  auto report = verify(4);
  expect_listed(report, "events/link.json", "bad-file", "symlink");
  expect_listed(report, "notes.txt", "bad-file", "stray file");
  auto human = m_home.run("verify" + ledger_arg());
  EXPECT_EQ(human.status, 4);
  EXPECT_NE(human.out.find("bad-file: events/link.json: symlink"), std::string::npos) << human.out;
  expect_index_keeps_only_the_valid_event();
}

// The same statement signed twice by one key with two different (valid)
// Ed25519 nonces: OpenSSL signs deterministically, so the second signature is
// made by an RFC 8032 signer with a random nonce, written for this test.
TEST_F(VerifyCli, DuplicateEventIsReported) {
  auto pem = m_home.dir() / "config/pedigree/keys" / (m_keyid + ".pem");
  auto seed = run_command("openssl pkey -in " + shell_quote(pem.string()) +
                          " -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \\n'")
                  .output;
  ASSERT_EQ(seed.size(), 64u);
  auto env = envelope();
  testing::write_text(m_home.dir() / "pae.bin", crypto::pae(env.payload_type, env.payload));
  const std::string py = R"(import hashlib, os, sys
p = 2**255 - 19; L = 2**252 + 27742317777372353535851937790883648493
d = -121665 * pow(121666, p - 2, p) % p
def add(P, Q):
    A = (P[1] - P[0]) * (Q[1] - Q[0]) % p; B = (P[1] + P[0]) * (Q[1] + Q[0]) % p
    C = 2 * P[3] * Q[3] * d % p; D = 2 * P[2] * Q[2] % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % p, G * H % p, F * G % p, E * H % p)
def mul(s, P):
    Q = (0, 1, 1, 0)
    while s:
        if s & 1: Q = add(Q, P)
        P = add(P, P); s >>= 1
    return Q
def enc(P):
    zi = pow(P[2], p - 2, p); x = P[0] * zi % p; y = P[1] * zi % p
    return (y | (x & 1) << 255).to_bytes(32, 'little')
gy = 4 * pow(5, p - 2, p) % p
x2 = (gy * gy - 1) * pow(d * gy * gy + 1, p - 2, p) % p
gx = pow(x2, (p + 3) // 8, p)
if (gx * gx - x2) % p: gx = gx * pow(2, (p - 1) // 4, p) % p
if gx & 1: gx = p - gx
G = (gx, gy, 1, gx * gy % p)
h = hashlib.sha512(bytes.fromhex(sys.argv[1])).digest()
a = int.from_bytes(h[:32], 'little') & ((1 << 254) - 8) | (1 << 254)
A = enc(mul(a, G)); msg = open(sys.argv[2], 'rb').read()
r = int.from_bytes(os.urandom(64), 'little') % L
R = enc(mul(r, G))
k = int.from_bytes(hashlib.sha512(R + A + msg).digest(), 'little')
sys.stdout.write((R + ((r + k * a) % L).to_bytes(32, 'little')).hex())
)";
  auto sig_hex = run_command("/usr/bin/python3 -c " + shell_quote(py) + " " + seed + " " +
                             shell_quote((m_home.dir() / "pae.bin").string()))
                     .output;
  ASSERT_EQ(sig_hex.size(), 128u) << sig_hex;
  std::string sig;
  for (std::size_t i = 0; i < sig_hex.size(); i += 2) {
    sig.push_back(static_cast<char>(std::stoi(sig_hex.substr(i, 2), nullptr, 16)));
  }
  ASSERT_TRUE(alice_key().public_key().verify(
      crypto::pae(env.payload_type, env.payload),
      ByteView(reinterpret_cast<const std::uint8_t*>(sig.data()), sig.size())));
  ASSERT_NE(sig, env.signatures[0].sig);
  env.signatures[0].sig = sig;
  auto rel = write_event(m_subject, crypto::serialize_envelope(env));
  auto report = verify(4);
  EXPECT_EQ(report["counts"]["duplicate"], 1);
  EXPECT_EQ(report["counts"]["valid"], 1);
  std::string loser = std::max(rel, m_path);
  expect_listed(report, loser, "duplicate", "duplicate of event");
  expect_index_keeps_only_the_valid_event();
}

}  // namespace
}  // namespace pedigree
