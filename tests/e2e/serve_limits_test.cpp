// End-to-end tests of `pedigree serve`'s limits (docs/serve.md): bodies over
// a route's limit (413), uploads without a length (411), too many requests
// or uploads at once (503 + Retry-After), clients that stall or trickle (the
// connection is dropped, or 408), uploads cut short (400); the listen address
// rules; and a server that keeps answering after all of it.
#include <gtest/gtest.h>

#include <httplib.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "e2e/check_world.hpp"
#include "e2e/serve_process.hpp"

namespace pedigree {
namespace {

using nlohmann::json;
using testing::CheckWorld;
using testing::raw_status;
using testing::RawClient;
using testing::ServeProcess;
using testing::sha_of_label;
using testing::shell_quote;

json body_of_raw(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? json() : json::parse(response.substr(at + 4), nullptr, false);
}

class ServeLimits : public ::testing::Test {
protected:
  void SetUp() override {
    m_world.model("sd15", "base", "2022-10-20");
    ASSERT_EQ(m_world.check(sha_of_label("sd15")).exit_code, 0);
  }
  // Whether a plain query succeeds within `seconds` (the server recovered).
  bool answers(const ServeProcess& server, int seconds = 15) {
    httplib::Client c("127.0.0.1", server.port());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = c.Get("/api/check?q=" + sha_of_label("sd15"));
      if (r && r->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  CheckWorld m_world;
};

TEST_F(ServeLimits, BodiesOverTheirRouteLimitAre413) {
  ServeProcess server(m_world, "--max-body 100 --max-picture 1000 --max-upload 5000");
  httplib::Client c("127.0.0.1", server.port());
  auto text = c.Post("/api/check", std::string(101, 'a'), "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 413);
  EXPECT_EQ(json::parse(text->body)["error"]["code"], "too-large");
  auto fits = c.Post("/api/check", std::string(90, 'a'), "text/plain");
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
  auto picture =
      c.Post("/api/check", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(1000, 0), "image/png");
  ASSERT_TRUE(picture);
  EXPECT_EQ(picture->status, 413);
  // An upload promising more than the limit is refused from its headers alone.
  RawClient raw(server.port());
  raw.send("POST /api/upload?name=x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000000\r\n\r\n");
  const std::string reply = raw.read_until_closed();
  EXPECT_EQ(raw_status(reply), 413) << reply;
  EXPECT_EQ(body_of_raw(reply)["error"]["code"], "too-large");
  EXPECT_TRUE(answers(server));
}

TEST_F(ServeLimits, UploadsNeedALength) {
  ServeProcess server(m_world);
  RawClient raw(server.port());
  raw.send(
      "POST /api/upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  const std::string reply = raw.read_until_closed();
  EXPECT_EQ(raw_status(reply), 411) << reply;
  EXPECT_EQ(body_of_raw(reply)["error"]["code"], "length-required");
}

TEST_F(ServeLimits, TooManyRequestsAtOnceAre503AndTheSlotComesBack) {
  ServeProcess server(m_world, "--max-active 1 --read-timeout 30");
  {
    // One upload in progress holds the only slot while it waits for its body.
    RawClient holder(server.port());
    holder.send("POST /api/upload?name=x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    holder.send(std::string(100, 'x'));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    httplib::Client c("127.0.0.1", server.port());
    auto busy = c.Get("/api/check?q=" + sha_of_label("sd15"));
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->status, 503);
    EXPECT_EQ(busy->get_header_value("Retry-After"), "1");
    EXPECT_EQ(json::parse(busy->body)["error"]["code"], "busy");
    // The holder hangs up mid-upload: the slot is free again. It gets no answer when the HTTP
    // library sees the end of its stream first; if it gets one, it is the 400 of docs/serve.md.
    holder.shutdown_write();
    const std::string reply = holder.read_until_closed();
    if (!reply.empty()) {
      EXPECT_EQ(raw_status(reply), 400) << reply;
      EXPECT_EQ(body_of_raw(reply)["error"]["code"], "incomplete");
    }
  }
  EXPECT_TRUE(answers(server));
}

TEST_F(ServeLimits, TooManyUploadsAtOnceAre503) {
  ServeProcess server(m_world, "--max-uploads 1 --read-timeout 30");
  RawClient first(server.port());
  first.send("POST /api/upload?name=a HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\nxx");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  RawClient second(server.port());
  second.send(
      "POST /api/upload?name=b HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789");
  const std::string reply = second.read_until_closed();
  EXPECT_EQ(raw_status(reply), 503) << reply;
  EXPECT_NE(body_of_raw(reply)["error"]["message"].get<std::string>().find("uploads"),
            std::string::npos);
  // Queries are not uploads: they still get through.
  EXPECT_TRUE(answers(server, 5));
}

TEST_F(ServeLimits, StalledClientsAreDropped) {
  ServeProcess server(m_world, "--read-timeout 1");
  RawClient stalled(server.port());
  stalled.send("GET /api/info HTTP/1.1\r\nHost: t\r\n");  // headers never finished
  const auto start = std::chrono::steady_clock::now();
  const std::string reply = stalled.read_until_closed();
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(waited, 10.0) << "the server kept a stalled connection open";
  EXPECT_NE(raw_status(reply), 200) << reply;
  EXPECT_TRUE(answers(server));
}

TEST_F(ServeLimits, TricklingUploadsAre408) {
  ServeProcess server(m_world, "--upload-grace 1 --min-upload-rate 1000000 --read-timeout 30");
  RawClient slow(server.port());
  slow.send("POST /api/upload?name=slow HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
  std::string reply;
  for (int i = 0; i < 100 && reply.empty(); ++i) {  // 10 bytes every 100 ms: far below 1 MB/s
    if (!slow.send(std::string(10, 'x'))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    reply = slow.read_available();  // stop sending once the server has answered
  }
  reply += slow.read_until_closed();
  EXPECT_EQ(raw_status(reply), 408) << reply;
  EXPECT_EQ(body_of_raw(reply)["error"]["code"], "too-slow");
  EXPECT_TRUE(answers(server));
}

// The same for a body large enough that the server reads it from the socket
// itself (serve/body_socket.hpp), where a read waits for a batch of bytes: the
// trickle still reaches the rate rule (408), it does not wait for the batch.
TEST_F(ServeLimits, TricklingLargeUploadsAre408) {
  ServeProcess server(m_world, "--upload-grace 1 --min-upload-rate 1000000 --read-timeout 2");
  RawClient slow(server.port());
  ASSERT_TRUE(slow.send("POST /api/upload?name=slow HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                        std::to_string(4u << 20) + "\r\n\r\n" + std::string(8192, 'x')));
  const auto start = std::chrono::steady_clock::now();
  std::string reply;
  for (int i = 0; i < 100 && reply.empty(); ++i) {  // 10 bytes every 100 ms
    if (!slow.send(std::string(10, 'x'))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    reply = slow.read_available();
  }
  reply += slow.read_until_closed();
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(raw_status(reply), 408) << reply;
  EXPECT_EQ(body_of_raw(reply)["error"]["code"], "too-slow");
  EXPECT_LT(waited, 8.0);
  EXPECT_TRUE(answers(server));
}

TEST_F(ServeLimits, NonLoopbackAddressIsWarnedAbout) {
  ServeProcess server(m_world, "", "0.0.0.0:0");
  ASSERT_TRUE(server.running());
  EXPECT_NE(server.stderr_text().find("warning: listening on 0.0.0.0, not loopback"),
            std::string::npos)
      << server.stderr_text();
  ServeProcess local(m_world);
  EXPECT_EQ(local.stderr_text().find("warning"), std::string::npos) << local.stderr_text();
}

// 50 clients connecting at once must not overflow the accept queue (a refused
// SYN is retried a second later): the listening socket's backlog, which `ss`
// shows as Send-Q, is raised from httplib's 5.
TEST_F(ServeLimits, ListensWithARoomyAcceptQueue) {
  ServeProcess server(m_world);
  auto ss = testing::run_command("ss -Hltn 'sport = :" + std::to_string(server.port()) + "'");
  ASSERT_EQ(ss.exit_code, 0) << ss.output;
  std::istringstream row(ss.output);
  std::string state;
  long queued = -1, backlog = -1;
  row >> state >> queued >> backlog;
  EXPECT_EQ(state, "LISTEN") << ss.output;
  EXPECT_GE(backlog, 128) << ss.output;
}

TEST_F(ServeLimits, BadOptionsAreRefused) {
  for (const std::string& args : {std::string("--listen nonsense:99999"),
                                  std::string("--listen 127.0.0.1:0 --max-active 0")}) {
    auto r = m_world.run("serve " + args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.err.find("pedigree: error:"), std::string::npos) << args << r.err;
  }
}

}  // namespace
}  // namespace pedigree
