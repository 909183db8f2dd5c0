// End-to-end tests of `pedigree serve`'s JSON API: the real binary on a free
// loopback port, real HTTP requests (cpp-httplib's client, and raw sockets
// for what a polite client never sends), every route and every error status
// of docs/serve.md, the limits, concurrent clients, and answers compared with
// `pedigree check --json` on the same ledger.
#include <gtest/gtest.h>

#include <httplib.h>

#include <future>

#include "e2e/check_world.hpp"
#include "e2e/serve_process.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::body_json;
using testing::CheckWorld;
using testing::ledger_snapshot;
using testing::RawClient;
using testing::ServeProcess;
using testing::sha_of_label;
using testing::shell_quote;

// Percent-encodes `text` for a query string.
std::string url_encode(const std::string& text) {
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

// The fields of a check report that say what was decided and why.
json decision(const json& report) {
  return {report["verdict"],          report["confidence"], report["summary"],
          report["nai_share"],        report["paths"],      report["evidence"],
          report["target"]["sha256"], report["candidates"], report["unknowns"]};
}

class ServeApi : public ::testing::Test {
protected:
  void SetUp() override {
    testing::serve_demo_chain(m_world);
    // `check` once through the CLI: the index exists before the server starts.
    ASSERT_EQ(m_world.check(sha_of_label("C")).exit_code, 10);
  }
  httplib::Client client(const ServeProcess& server) const {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(60, 0);
    return c;
  }
  CheckWorld m_world;
};

TEST_F(ServeApi, CheckByHashMirrorsTheCli) {
  ServeProcess server(m_world);
  ASSERT_TRUE(server.running());
  auto c = client(server);
  for (const std::string& q :
       {sha_of_label("C"), "AutoV2:" + sha_of_label("B").substr(0, 10), std::string("925997e9"),
        std::string("C"), std::string("no-such-model")}) {
    auto r = c.Get("/api/check?q=" + url_encode(q));
    ASSERT_TRUE(r) << q;
    EXPECT_EQ(r->status, 200) << q << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    auto cli = m_world.check(shell_quote(q));
    EXPECT_EQ(decision(body_json(r)), decision(cli.json)) << q;
    EXPECT_EQ(body_json(r)["schema"], "pedigree-check/1");
  }
  auto unknown = body_json(c.Get("/api/check?q=no-such-model"));
  EXPECT_EQ(unknown["verdict"], "unknown");
  EXPECT_FALSE(unknown["unknowns"].empty()) << unknown.dump();
}

TEST_F(ServeApi, PostedTextAndJsonAreCheckedLikeAQuery) {
  ServeProcess server(m_world);
  auto c = client(server);
  auto text = c.Post("/api/check", sha_of_label("C") + "\n", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200) << text->body;
  EXPECT_EQ(body_json(text)["verdict"], "nai-leak");
  auto as_json =
      c.Post("/api/check", json{{"input", sha_of_label("C")}}.dump(), "application/json");
  ASSERT_TRUE(as_json);
  EXPECT_EQ(as_json->status, 200);
  EXPECT_EQ(decision(body_json(as_json)), decision(body_json(text)));
  // A path on the server's machine is never read: it is text like any other.
  auto path = c.Get("/api/check?q=" + url_encode(PEDIGREE_BINARY));
  ASSERT_TRUE(path);
  EXPECT_EQ(path->status, 200);
  EXPECT_NE(body_json(path)["target"]["kind"], "file") << path->body;
}

TEST_F(ServeApi, BadRequestsGetJsonErrors) {
  ServeProcess server(m_world);
  auto c = client(server);
  struct Case {
    std::function<httplib::Result()> call;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {[&] { return c.Get("/api/check"); }, 400, "invalid-argument"},
      {[&] { return c.Get("/api/check?q=%20%20"); }, 400, "invalid-argument"},
      {[&] { return c.Post("/api/check", "{\"input\": 3}", "application/json"); }, 400,
       "invalid-argument"},
      {[&] { return c.Post("/api/check", "not json", "application/json"); }, 400,
       "invalid-argument"},
      {[&] { return c.Get("/api/model/xyz"); }, 400, "invalid-argument"},
      {[&] { return c.Get("/api/model/" + std::string(64, 'e')); }, 404, "not-found"},
      {[&] { return c.Get("/api/graph/" + std::string(64, 'e') + ".svg"); }, 404, "not-found"},
      {[&] { return c.Get("/api/graph/12.svg"); }, 400, "invalid-argument"},
      {[&] { return c.Get("/api/search?q="); }, 400, "invalid-argument"},
      {[&] { return c.Get("/no/such/route"); }, 404, "no-route"},
      {[&] { return c.Delete("/api/check"); }, 404, "no-route"},
      {[&] { return c.Post("/api/check", "GIF89a not a picture", "image/gif"); }, 400,
       "invalid-argument"},
      {[&] {
         return c.Post("/api/check", std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16),
                       "image/png");
       },
       422, "corruption"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto r = cases[i].call();
    ASSERT_TRUE(r) << "case " << i;
    EXPECT_EQ(r->status, cases[i].status) << "case " << i << ": " << r->body;
    auto j = body_json(r);
    ASSERT_TRUE(j.is_object()) << "case " << i << ": " << r->body;
    EXPECT_EQ(j["error"]["status"], cases[i].status) << i;
    EXPECT_EQ(j["error"]["code"], cases[i].code) << i << ": " << r->body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << i;
  }
}

TEST_F(ServeApi, PagesAndAssetsAreServedFromTheBinary) {
  ServeProcess server(m_world);
  auto c = client(server);
  for (auto [path, type, needle] :
       {std::tuple{"/", "text/html; charset=utf-8", "<!doctype html>"},
        std::tuple{"/app.js", "text/javascript; charset=utf-8", "use strict"},
        std::tuple{"/app.css", "text/css; charset=utf-8", ".verdict"}}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), type) << path;
    EXPECT_NE(r->body.find(needle), std::string::npos) << path;
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'self'"),
              std::string::npos);
  }
  auto info = body_json(c.Get("/api/info"));
  EXPECT_EQ(info["schema"], "pedigree-info/1");
  EXPECT_EQ(info["ledger"], m_world.ledger_dir().string());
  // 9 events by the trusted key, 2 by the untrusted one.
  EXPECT_EQ(info["events"]["valid"].get<int>() + info["events"]["untrusted"].get<int>(), 11)
      << info.dump();
  EXPECT_EQ(info["limits"]["max_active"], 32);
}

TEST_F(ServeApi, ModelPageHasIdentitiesEventsParentsChildrenGraphAndVerdict) {
  ServeProcess server(m_world);
  auto c = client(server);
  auto r = c.Get("/api/model/" + sha_of_label("B"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto m = body_json(r);
  EXPECT_EQ(m["schema"], "pedigree-model/1");
  EXPECT_EQ(m["name"], "B");
  EXPECT_EQ(m["events"].size(), 2u);  // model + lineage
  for (const auto& e : m["events"]) {
    EXPECT_EQ(e["signer"], m_world.trusted_keyid());
    EXPECT_TRUE(e["trusted"].get<bool>());
  }
  ASSERT_EQ(m["parents"].size(), 2u);
  std::set<std::string> parents;
  for (const auto& p : m["parents"]) parents.insert(p["name"]);
  EXPECT_EQ(parents, (std::set<std::string>{"A", "sd15"}));
  ASSERT_EQ(m["children"].size(), 1u);
  EXPECT_EQ(m["children"][0]["sha256"], sha_of_label("C"));
  EXPECT_EQ(m["check"]["verdict"], "nai-leak");
  EXPECT_EQ(decision(m["check"]), decision(m_world.check(sha_of_label("B")).json));
  EXPECT_GE(m["graph"]["nodes"].size(), 4u);
  // The untrusted model's page says so.
  auto d = body_json(c.Get("/api/model/" + sha_of_label("D")));
  ASSERT_TRUE(d.is_object());
  for (const auto& e : d["events"]) EXPECT_FALSE(e["trusted"].get<bool>());
  EXPECT_EQ(d["check"]["verdict"], "unknown");
  // Upper-case hex names the same model.
  std::string upper = sha_of_label("B");
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(body_json(c.Get("/api/model/" + upper))["sha256"], sha_of_label("B"));
}

TEST_F(ServeApi, GraphIsSvgFromGraphviz) {
  ServeProcess server(m_world);
  auto c = client(server);
  auto r = c.Get("/api/graph/" + sha_of_label("C") + ".svg");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_NE(r->body.find("<svg"), std::string::npos);
  // Node titles are SHA-256s (the page links them to model pages).
  EXPECT_NE(r->body.find("<title>" + sha_of_label("animefull") + "</title>"), std::string::npos);
}

TEST_F(ServeApi, SearchFindsByHashAndByNamePrefix) {
  ServeProcess server(m_world);
  auto c = client(server);
  auto by_hash = body_json(c.Get("/api/search?q=" + sha_of_label("A").substr(0, 12)));
  ASSERT_EQ(by_hash["results"].size(), 1u) << by_hash.dump();
  EXPECT_EQ(by_hash["results"][0]["sha256"], sha_of_label("A"));
  auto by_name = body_json(c.Get("/api/search?q=SD1"));
  std::set<std::string> found;
  for (const auto& x : by_name["results"]) found.insert(x["sha256"]);
  EXPECT_EQ(found, (std::set<std::string>{sha_of_label("sd14"), sha_of_label("sd15")}))
      << by_name.dump();
  auto limited = body_json(c.Get("/api/search?q=sd&limit=1"));
  EXPECT_EQ(limited["results"].size(), 1u);
  auto untrusted = body_json(c.Get("/api/search?q=d.safe"));
  ASSERT_EQ(untrusted["results"].size(), 1u) << untrusted.dump();
  EXPECT_FALSE(untrusted["results"][0]["trusted"].get<bool>());
}

TEST_F(ServeApi, PicturesPostedAreCheckedLikePictureFiles) {
  const auto pics = m_world.dir() / "pics";
  auto made =
      testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                           "/tools/make-image-fixtures " + shell_quote(pics.string()) +
                           " --model-hash " + sha_of_label("C").substr(0, 10) + " --model-name C");
  ASSERT_EQ(made.exit_code, 0);
  ServeProcess server(m_world);
  auto c = client(server);
  for (auto [name, type] :
       {std::pair{"a1111_text.png", "image/png"}, std::pair{"a1111.jpg", "image/jpeg"},
        std::pair{"a1111.webp", "image/webp"},
        std::pair{"comfyui.png", "application/octet-stream"}}) {
    auto r = c.Post(std::string("/api/check?name=") + name, testing::read_text(pics / name), type);
    ASSERT_TRUE(r) << name;
    ASSERT_EQ(r->status, 200) << name << r->body;
    auto j = body_json(r);
    auto cli = m_world.check(shell_quote((pics / name).string()));
    EXPECT_EQ(decision(j), decision(cli.json)) << name;
    EXPECT_EQ(j["verdict"], "nai-leak") << name;
    EXPECT_EQ(j["target"]["kind"], "image");
    EXPECT_EQ(j["target"]["input"], name);
  }
  auto plain = body_json(c.Post("/api/check", testing::read_text(pics / "plain.png"), "image/png"));
  EXPECT_EQ(plain["verdict"], "unknown");
  EXPECT_NE(plain["unknowns"][0].get<std::string>().find("names no model"), std::string::npos);
}

TEST_F(ServeApi, ServingNeverWritesToTheLedger) {
  const std::string before = ledger_snapshot(m_world.ledger_dir());
  ASSERT_NE(before.find("LEDGER.json"), std::string::npos) << before;
  {
    ServeProcess server(m_world);
    auto c = client(server);
    for (const std::string& path :
         {std::string("/"), std::string("/api/info"), "/api/check?q=" + sha_of_label("C"),
          "/api/model/" + sha_of_label("B"), "/api/graph/" + sha_of_label("C") + ".svg",
          std::string("/api/search?q=a")})
      EXPECT_EQ(c.Get(path)->status, 200) << path;
    EXPECT_EQ(c.Post("/api/upload?name=x.bin", std::string(1000, 'z'), "application/octet-stream")
                  ->status,
              200);
  }
  EXPECT_EQ(ledger_snapshot(m_world.ledger_dir()), before);
}

TEST_F(ServeApi, ConcurrentClientsGetTheSameAnswers) {
  ServeProcess server(m_world);
  const std::string expected = client(server).Get("/api/check?q=" + sha_of_label("C"))->body;
  std::vector<std::future<int>> workers;
  for (int t = 0; t < 16; ++t)
    workers.push_back(std::async(std::launch::async, [&, t] {
      httplib::Client c("127.0.0.1", server.port());
      int same = 0;
      for (int i = 0; i < 15; ++i) {
        auto r = (t + i) % 3 == 0 ? c.Get("/api/model/" + sha_of_label("B"))
                                  : c.Get("/api/check?q=" + sha_of_label("C"));
        if (!r || r->status != 200) continue;
        same += (t + i) % 3 == 0 ? body_json(r)["name"] == "B" : r->body == expected;
      }
      return same;
    }));
  int total = 0;
  for (auto& w : workers) total += w.get();
  EXPECT_EQ(total, 16 * 15);
}

}  // namespace
}  // namespace pedigree
