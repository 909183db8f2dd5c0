// End-to-end tests of `pedigree serve`'s checkpoint upload (POST /api/upload):
// the body is hashed and fingerprinted as it arrives and the verdict equals
// `pedigree check --json FILE` on the same bytes; a multi-hundred-MB upload
// leaves the server's peak memory bounded; nothing is written to the ledger
// (not even a reference fingerprint, which `check FILE` would store).
#include <gtest/gtest.h>

#include <httplib.h>

#include "e2e/check_world.hpp"
#include "e2e/model_files.hpp"
#include "e2e/serve_process.hpp"
#include "fingerprint/family.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using fingerprint::testing::Family;
using fingerprint::testing::Weights;
using nlohmann::json;
using testing::body_json;
using testing::CheckWorld;
using testing::ledger_snapshot;
using testing::openssl_file_sha256;
using testing::ServeProcess;
using testing::shell_quote;

// Process `pid`'s peak resident memory in KiB (VmHWM), 0 if unreadable.
std::uint64_t peak_rss_kib(int pid) {
  const std::string status = testing::read_text("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("VmHWM:");
  return at == std::string::npos ? 0 : std::stoull(status.substr(at + 6));
}

// The leading bytes of a safetensors file holding one F16 UNet tensor of
// `data_bytes` bytes: the length, then the header padded to 8 bytes.
std::string one_tensor_head(std::uint64_t data_bytes) {
  std::string header =
      json{{"model.diffusion_model.out.2.weight",
            {{"dtype", "F16"}, {"shape", {data_bytes / 2}}, {"data_offsets", {0, data_bytes}}}}}
          .dump();
  while (header.size() % 8) header.push_back(' ');
  std::string head(8, '\0');
  for (int i = 0; i < 8; ++i) head[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return head + header;
}

class ServeUpload : public ::testing::Test {
protected:
  void SetUp() override {
    const fs::path dir = m_world.dir() / "models";
    m_sd14 = dir / "sd14.safetensors";
    m_sd15 = dir / "sd15.safetensors";
    m_nai = dir / "animefull.safetensors";
    testing::write_family_model(m_family, m_family.base(), m_sd14);
    testing::write_family_model(m_family, m_sd15_w, m_sd15);
    testing::write_family_model(m_family, m_nai_w, m_nai);
    m_world.model("sd14", "base", "2022-08-22", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_sd14));
    m_world.model("sd15", "base", "2022-10-20", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_sd15));
    m_world.model("animefull", "nai-leak", "2022-10-06", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_nai));
  }
  httplib::Result upload(const ServeProcess& server, const fs::path& file) {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(120, 0);
    c.set_write_timeout(120, 0);
    return c.Post("/api/upload?name=" + file.filename().string(), testing::read_text(file),
                  "application/octet-stream");
  }
  fs::path references() const { return m_world.ledger_dir() / ".git" / "pedigree" / "references"; }
  // The CLI stores the reference fingerprints the first time it checks them.
  void bootstrap_references() {
    for (const auto& f : {m_sd14, m_sd15, m_nai})
      ASSERT_NE(m_world.check(shell_quote(f.string())).exit_code, 1);
  }
  // Uploads `file` (a NAI merge) and expects the report `check --json FILE` gives it.
  json upload_matches_check(const fs::path& file) {
    auto cli = m_world.check(shell_quote(file.string()));
    EXPECT_EQ(cli.exit_code, 12) << cli.out;
    ServeProcess server(m_world);
    auto r = upload(server, file);
    if (!r || r->status != 200) {
      ADD_FAILURE() << (r ? r->body : "no answer");
      return json::object();
    }
    auto j = body_json(r);
    EXPECT_EQ(j["verdict"], "nai") << j.dump();
    EXPECT_EQ(j["target"]["sha256"], openssl_file_sha256(file));
    for (const char* key : {"sha256", "weights", "unet"})
      EXPECT_EQ(j["target"][key], cli.json["target"][key]) << key;
    for (const char* key : {"verdict", "confidence", "summary", "nai_share", "fingerprint",
                            "evidence", "components", "references", "paths", "unknowns"})
      EXPECT_EQ(j[key], cli.json[key]) << key;
    return j;
  }

  CheckWorld m_world;
  Family m_family{42};
  Weights m_sd15_w = m_family.finetune(0, 1, false);
  Weights m_nai_w = m_family.finetune(1, 1, true);
  fs::path m_sd14, m_sd15, m_nai;
};

TEST_F(ServeUpload, UploadedMergeGetsTheVerdictOfCheckFile) {
  bootstrap_references();
  auto merge = m_world.dir() / "models" / "merge.safetensors";
  testing::write_family_model(
      m_family, fingerprint::testing::combine({{0.7, &m_sd15_w}, {0.3, &m_nai_w}}), merge);
  auto j = upload_matches_check(merge);
  EXPECT_EQ(j["target"]["kind"], "file");
  EXPECT_EQ(j["target"]["input"], "merge.safetensors");
  EXPECT_NEAR(j["nai_share"]["fingerprint"]["estimate"].get<double>(), 0.3, 0.03);
}

// NAI in the EMA copy of a clean UNet: the upload sketches that copy too, as check FILE does.
TEST_F(ServeUpload, UploadedFileWithNaiInItsEmaCopyGetsTheVerdictOfCheckFile) {
  bootstrap_references();
  auto file = m_world.dir() / "models" / "ema-nai.safetensors";
  const Weights clean = m_family.finetune(0, 1, false);
  testing::write_family_model_with_ema(
      m_family, clean, fingerprint::testing::combine({{0.7, &m_sd15_w}, {0.3, &m_nai_w}}), file);
  auto j = upload_matches_check(file);
  EXPECT_EQ(j["fingerprint"]["component"], "unet_ema") << j["fingerprint"].dump(1);
  EXPECT_EQ(j["fingerprint"]["copies"].size(), 2u) << j["fingerprint"].dump(1);
}

TEST_F(ServeUpload, UploadedReferenceIsIdentifiedAndNothingIsStored) {
  const std::string before = ledger_snapshot(m_world.ledger_dir());
  ServeProcess server(m_world);
  auto r = upload(server, m_nai);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body_json(r)["verdict"], "nai-leak");
  EXPECT_FALSE(fs::exists(references() / (openssl_file_sha256(m_nai) + ".fp")));
  // The same file through the CLI would store it: the server does not.
  EXPECT_EQ(ledger_snapshot(m_world.ledger_dir()), before);
}

// A torch.save .ckpt of a merge (written by PyTorch from the same weights):
// the upload reads its storages as they arrive and gets the verdict, hashes
// and fingerprint that `check FILE` gives the same file on disk.
TEST_F(ServeUpload, UploadedCkptGetsTheVerdictOfCheckFile) {
  bootstrap_references();
  const auto merge = m_world.dir() / "models" / "merge.safetensors";
  testing::write_family_model(
      m_family, fingerprint::testing::combine({{0.75, &m_sd15_w}, {0.25, &m_nai_w}}), merge);
  const auto ckpt = m_world.dir() / "models" / "merge.ckpt";
  auto made = testing::run_command(std::string("/usr/bin/python3 ") + PEDIGREE_SOURCE_DIR +
                                   "/tools/safetensors-to-ckpt " + shell_quote(merge.string()) +
                                   " " + shell_quote(ckpt.string()) + " --state-dict");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto j = upload_matches_check(ckpt);
  // The same weights as the safetensors file: the weights hash ignores the container.
  auto st = m_world.check(shell_quote(merge.string()));
  EXPECT_EQ(j["target"]["weights"], st.json["target"]["weights"]);
  EXPECT_NEAR(j["nai_share"]["fingerprint"]["estimate"].get<double>(), 0.25, 0.03);
}

TEST_F(ServeUpload, UnreadableUploadsAreHashedAsBytesAndSaySo) {
  // A file starting like a PyTorch zip whose SHA-256 the ledger knows as a NAI leak.
  const std::string bytes = std::string("PK\x03\x04", 4) + std::string(5000, 'x');
  const auto file = m_world.dir() / "model.ckpt";
  testing::write_text(file, bytes);
  m_world.model("leaked-ckpt", "nai-leak", "2022-10-06", nullptr, testing::Signer::k_trusted,
                openssl_file_sha256(file));
  // The same weights in the legacy (pre-1.6) format, which is read by seeking.
  const auto legacy = m_world.dir() / "legacy.ckpt";
  auto made = testing::run_command(std::string("/usr/bin/python3 ") + PEDIGREE_SOURCE_DIR +
                                   "/tools/safetensors-to-ckpt " + shell_quote(m_nai.string()) +
                                   " " + shell_quote(legacy.string()) + " --legacy");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto junk = m_world.dir() / "notes.txt";
  testing::write_text(junk, "hello, not a model\n");
  ServeProcess server(m_world);
  auto says = [](const json& j, const std::string& text) {
    for (const auto& n : j["notes"])
      if (n.get<std::string>().find(text) != std::string::npos) return true;
    return false;
  };
  auto known = body_json(upload(server, file));
  EXPECT_EQ(known["verdict"], "nai-leak") << known.dump();
  EXPECT_EQ(known["target"]["sha256"], openssl_file_sha256(file));
  EXPECT_TRUE(says(known, "model.ckpt: ")) << known.dump();  // why there is no weight evidence
  auto old = body_json(upload(server, legacy));
  EXPECT_EQ(old["target"]["sha256"], openssl_file_sha256(legacy));
  EXPECT_TRUE(says(old, "cannot be read as it arrives")) << old.dump();
  EXPECT_NE(old["verdict"], "no-nai-found") << old.dump();
  auto unknown = body_json(upload(server, junk));
  EXPECT_EQ(unknown["verdict"], "unknown") << unknown.dump();
  EXPECT_EQ(unknown["target"]["sha256"], openssl_file_sha256(junk));
}

TEST_F(ServeUpload, LargeUploadStreamsWithBoundedMemory) {
  // A 384 MiB safetensors file generated while it is sent: one F16 tensor.
  constexpr std::uint64_t k_data = 384ull << 20;
  const std::string head = one_tensor_head(k_data);
  const std::uint64_t total = head.size() + k_data;
  const std::string block(1 << 20, '\x3c');
  crypto::Sha256 expected;
  ServeProcess server(m_world);
  const int pid = server.pid();
  ASSERT_GT(pid, 0);
  const std::uint64_t rss_before = peak_rss_kib(pid);
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(300, 0);
  c.set_write_timeout(300, 0);
  auto r = c.Post(
      "/api/upload?name=big.safetensors", total,
      [&](std::size_t offset, std::size_t, httplib::DataSink& sink) {
        std::string_view piece =
            offset < head.size() ? std::string_view(head).substr(offset)
                                 : std::string_view(block).substr(
                                       0, std::min<std::uint64_t>(block.size(), total - offset));
        expected.update(
            ByteView(reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size()));
        return sink.write(piece.data(), piece.size());
      },
      "application/octet-stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto digest = expected.finish();
  EXPECT_EQ(body_json(r)["target"]["sha256"], to_hex(ByteView(digest.data(), digest.size())));
  const std::uint64_t peak = peak_rss_kib(pid);
  // The scan's ring is 6 x 8 MiB; the upload is 384 MiB. Peak well under the upload's size.
  // Under AddressSanitizer freed memory sits in its quarantine (256 MiB by default) and every
  // allocation has redzones: the bound there is the upload's size, still below keeping it whole.
#if defined(__SANITIZE_ADDRESS__)
  const std::uint64_t bound_kib = 384u * 1024;
#else
  const std::uint64_t bound_kib = 160u * 1024;
#endif
  EXPECT_LT(peak, bound_kib) << "peak RSS " << peak << " KiB (before the upload " << rss_before
                             << " KiB)";
}

// A large body is read from the socket by the server itself once httplib has
// handed over its first chunk (serve/body_socket.hpp). Body bytes that came in
// the same packet as the headers sit in httplib's buffer, not in the socket:
// they must stay first, and no byte of the next request may be taken for the
// body, so uploads on one kept-alive connection hash exactly.
TEST_F(ServeUpload, BodyBytesSentWithTheHeadersStayInOrderOnAKeptAliveConnection) {
  constexpr std::uint64_t k_data = 3ull << 20;  // above the 1 MiB from which the socket is read
  std::string file = one_tensor_head(k_data);
  std::uint32_t state = 12345;
  for (std::uint64_t i = 0; i < k_data; i += 2) {  // finite F16 values, different everywhere
    state = state * 1664525u + 1013904223u;
    file.push_back(static_cast<char>(state >> 24));
    file.push_back(static_cast<char>((state >> 16) & 0x3b));
  }
  crypto::Sha256 sha;
  sha.update(ByteView(reinterpret_cast<const std::uint8_t*>(file.data()), file.size()));
  const auto digest = sha.finish();
  const std::string expected = to_hex(ByteView(digest.data(), digest.size()));
  const std::string request =
      "POST /api/upload?name=mixed.safetensors HTTP/1.1\r\nHost: t\r\n"
      "Content-Type: application/octet-stream\r\nContent-Length: " +
      std::to_string(file.size()) + "\r\n\r\n";

  ServeProcess server(m_world);
  testing::RawClient client(server.port());
  // 1: the headers and the first 3,000 body bytes in one send, the rest in pieces.
  ASSERT_TRUE(client.send(request + file.substr(0, 3000)));
  for (std::size_t at = 3000; at < file.size(); at += 65536)
    ASSERT_TRUE(client.send(file.substr(at, 65536)));
  std::string reply = client.read_response();
  ASSERT_EQ(testing::raw_status(reply), 200) << reply.substr(0, 400);
  EXPECT_EQ(json::parse(reply.substr(reply.find("\r\n\r\n") + 4))["target"]["sha256"], expected);
  // 2: the whole request in one send on the same connection, then a query right behind it.
  ASSERT_TRUE(client.send(request + file + "GET /api/info HTTP/1.1\r\nHost: t\r\n\r\n"));
  reply = client.read_response();
  ASSERT_EQ(testing::raw_status(reply), 200) << reply.substr(0, 400);
  EXPECT_EQ(json::parse(reply.substr(reply.find("\r\n\r\n") + 4))["target"]["sha256"], expected);
  reply = client.read_response();
  EXPECT_EQ(testing::raw_status(reply), 200)
      << "the request after the upload was read whole: " << reply.substr(0, 400);
  EXPECT_NE(reply.find("\"limits\""), std::string::npos) << reply.substr(0, 400);
}

}  // namespace
}  // namespace pedigree
