// The answer cache of `pedigree serve` (src/pedigree/serve/reply_cache.hpp):
// identical requests get identical answers, and an answer made before the
// index changed (another process brought it up to date after the ledger
// grew) is never served after.
#include <gtest/gtest.h>

#include <httplib.h>

#include "e2e/check_world.hpp"
#include "e2e/serve_process.hpp"

namespace pedigree {
namespace {

using nlohmann::json;
using testing::CheckWorld;
using testing::ServeProcess;
using testing::sha_of_label;

TEST(ServeCache, IdenticalRequestsGetIdenticalAnswers) {
  CheckWorld world;
  testing::serve_demo_chain(world);
  ServeProcess server(world);
  ASSERT_TRUE(server.running());
  httplib::Client client("127.0.0.1", server.port());
  const std::string path = "/api/check?q=" + sha_of_label("C");
  auto first = client.Get(path);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  for (int i = 0; i < 5; ++i) {
    auto again = client.Get(path);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->body, first->body);
  }
  auto svg = client.Get("/api/graph/" + sha_of_label("C") + ".svg");
  ASSERT_TRUE(svg);
  EXPECT_EQ(client.Get("/api/graph/" + sha_of_label("C") + ".svg")->body, svg->body);
}

TEST(ServeCache, AnAnswerMadeBeforeTheIndexChangedIsNotServedAfter) {
  CheckWorld world;
  testing::serve_demo_chain(world);
  ServeProcess server(world, "--max-active 4");
  ASSERT_TRUE(server.running());
  httplib::Client client("127.0.0.1", server.port());
  const std::string e = sha_of_label("E");
  const std::string path = "/api/check?q=" + e;
  for (int i = 0; i < 3; ++i) {  // cached on every connection the pool has
    auto before = client.Get(path);
    ASSERT_TRUE(before);
    ASSERT_EQ(before->status, 200);
    EXPECT_TRUE(json::parse(before->body)["candidates"].empty());
  }
  auto model_before = client.Get("/api/model/" + e);
  ASSERT_TRUE(model_before);
  EXPECT_EQ(model_before->status, 404);
  // The ledger grows: E, a fine-tune of C (NAI); another process indexes it.
  world.model("E");
  world.lineage("E", {{"C", "finetune", ""}});
  auto cli = world.check(e);
  ASSERT_EQ(cli.exit_code, 10) << cli.err;
  auto after = client.Get(path);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->status, 200);
  auto report = json::parse(after->body);
  EXPECT_EQ(report["verdict"], "nai-leak");
  EXPECT_EQ(report["verdict"], cli.json.is_array() ? cli.json[0]["verdict"] : cli.json["verdict"]);
  auto model_after = client.Get("/api/model/" + e);
  ASSERT_TRUE(model_after);
  EXPECT_EQ(model_after->status, 200);
}

}  // namespace
}  // namespace pedigree
