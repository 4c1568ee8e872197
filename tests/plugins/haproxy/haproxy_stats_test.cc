// Parsers of HAProxy runtime API output, on output captured from HAProxy 2.6.12 (see
// DISABLED_CaptureFixtures in haproxy_integration_test.cc) and on damaged copies of it.
#include "plugins/haproxy/haproxy_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace cutover {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/haproxy/fixtures/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kShowStat = Fixture("show_stat.haproxy-2.6.csv");
const std::string kShowInfo = Fixture("show_info.haproxy-2.6.txt");

std::string ReplaceFirst(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ParseShowStatTest, CapturedOutputYieldsEveryServerAndNoProxyRows) {
  HaproxyStatParse parsed = ParseShowStat(kShowStat);
  ASSERT_TRUE(parsed.table) << parsed.error;
  const HaproxyStatTable& table = *parsed.table;
  EXPECT_EQ(table.servers.size(), 6u) << "s1..s6; FRONTEND and BACKEND rows are not servers";
  EXPECT_GT(table.columns, 100u);
  EXPECT_EQ(table.Find("app", "BACKEND"), nullptr);
  EXPECT_EQ(table.Find("stats_page", "FRONTEND"), nullptr);

  const HaproxyServerStat* s1 = table.Find("app", "s1");
  ASSERT_NE(s1, nullptr);
  EXPECT_EQ(s1->current_sessions, 2u) << "s1 held two sessions when captured";
  EXPECT_EQ(s1->status, "no check");
  EXPECT_FALSE(s1->backup);
  EXPECT_EQ(table.Find("app", "s2")->status, "DRAIN");
  EXPECT_EQ(table.Find("app", "s3")->status, "MAINT");
  EXPECT_EQ(table.Find("app", "s4")->status, "DOWN");
  EXPECT_TRUE(table.Find("app", "s6")->backup);
  EXPECT_EQ(table.Find("app", "s2")->current_sessions, 0u);
}

TEST(ParseShowStatTest, DigestFollowsConfigurationNotState) {
  auto original = ParseShowStat(kShowStat);
  ASSERT_TRUE(original.table);
  const std::string s2 = original.table->Find("app", "s2")->config_digest;
  EXPECT_EQ(s2.size(), 16u);
  EXPECT_NE(s2, original.table->Find("app", "s3")->config_digest)
      << "servers differ by name and id";

  // s2 back to ready with sessions and another runtime weight: same configuration.
  std::string changed_state = ReplaceFirst(kShowStat, "app,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DRAIN,1,",
                                           "app,s2,0,0,7,7,,9,0,0,,0,,0,0,0,0,no check,50,");
  ASSERT_NE(changed_state, kShowStat);
  auto state = ParseShowStat(changed_state);
  ASSERT_TRUE(state.table) << state.error;
  EXPECT_EQ(state.table->Find("app", "s2")->current_sessions, 7u);
  EXPECT_EQ(state.table->Find("app", "s2")->config_digest, s2);

  // s2 pointed elsewhere: another configuration.
  auto row = kShowStat.find("app,s2,");
  auto addr = kShowStat.find("127.0.0.1:", row);
  std::string moved = kShowStat;
  moved.replace(addr, 9, "127.0.0.2");
  auto relocated = ParseShowStat(moved);
  ASSERT_TRUE(relocated.table) << relocated.error;
  EXPECT_NE(relocated.table->Find("app", "s2")->config_digest, s2);
  EXPECT_EQ(relocated.table->Find("app", "s1")->config_digest,
            original.table->Find("app", "s1")->config_digest);
}

TEST(ParseShowStatTest, ColumnsAreFoundByNameWhateverTheirOrder) {
  // An older, shorter layout with the columns in another order and no type column.
  const std::string csv =
      "# svname,pxname,status,bck,scur,addr\n"
      "FRONTEND,web,OPEN,,4,\n"
      "a1,web,UP,0,3,10.0.0.1:80\n"
      "a2,web,UP 1/3,1,0,10.0.0.2:80\n"
      "BACKEND,web,UP,0,3,\n"
      "\n";
  HaproxyStatParse parsed = ParseShowStat(csv);
  ASSERT_TRUE(parsed.table) << parsed.error;
  ASSERT_EQ(parsed.table->servers.size(), 2u);
  EXPECT_EQ(parsed.table->Find("web", "a1")->current_sessions, 3u);
  EXPECT_EQ(parsed.table->Find("web", "a2")->status, "UP 1/3");
  EXPECT_TRUE(parsed.table->Find("web", "a2")->backup);
}

TEST(ParseShowStatTest, QuotedFieldsMayHoldCommasAndQuotes) {
  const std::string csv =
      "# pxname,svname,scur,status,bck,check_desc,type\n"
      "web,a1,1,DOWN,0,\"Layer4 timeout, \"\"retrying\"\"\",2\n";
  HaproxyStatParse parsed = ParseShowStat(csv);
  ASSERT_TRUE(parsed.table) << parsed.error;
  EXPECT_EQ(parsed.table->Find("web", "a1")->status, "DOWN");
  EXPECT_FALSE(ParseShowStat("# pxname,svname,scur,status,bck\nweb,a1,1,\"DOWN,0\n").table)
      << "an unterminated quote is a damaged line";
}

TEST(ParseShowStatTest, DamagedOutputIsAnErrorNamingTheProblem) {
  struct Case {
    const char* what;
    std::string csv;
    const char* error;
  } cases[] = {
      {"empty", "", "empty output"},
      {"blank lines", "\n\n", "empty output"},
      {"no header", kShowStat.substr(kShowStat.find('\n') + 1), "should be the CSV header"},
      {"an error message instead", "Unknown command.\n\n", "should be the CSV header"},
      {"no scur column", ReplaceFirst(kShowStat, ",scur,", ",sessions_now,"), "no 'scur' column"},
      {"no status column", ReplaceFirst(kShowStat, ",status,", ",state,"), "no 'status' column"},
      {"cut mid-row", kShowStat.substr(0, kShowStat.find("app,s3,") + 40), "cut short"},
      {"scur not a number", ReplaceFirst(kShowStat, "app,s1,0,0,2,", "app,s1,0,0,two,"),
       "scur 'two' is not a number"},
      {"scur empty", ReplaceFirst(kShowStat, "app,s1,0,0,2,", "app,s1,0,0,,"),
       "scur '' is not a number"},
      {"bck neither 0 nor 1", ReplaceFirst(kShowStat, "no check,1,0,1,", "no check,1,0,yes,"),
       "bck 'yes'"},
  };
  for (const Case& c : cases) {
    HaproxyStatParse parsed = ParseShowStat(c.csv);
    EXPECT_FALSE(parsed.table) << c.what << ": damaged output must not parse";
    EXPECT_NE(parsed.error.find(c.error), std::string::npos)
        << c.what << ": error was '" << parsed.error << "'";
  }
}

TEST(ParseShowInfoTest, CapturedOutputGivesTheVersion) {
  HaproxyInfoParse parsed = ParseShowInfo(kShowInfo);
  ASSERT_TRUE(parsed.info) << parsed.error;
  EXPECT_EQ(parsed.info->version, "2.6.12-1+deb12u4");
  EXPECT_EQ(parsed.info->fields.at("Maxconn"), "4000");
  EXPECT_EQ(parsed.info->fields.at("Unstoppable Jobs"), "0");
}

TEST(ParseShowInfoTest, OutputWithoutAVersionIsAnError) {
  EXPECT_NE(ParseShowInfo("Name: HAProxy\nPid: 12\n\n").error.find("no 'Version:' line"),
            std::string::npos);
  EXPECT_NE(ParseShowInfo("Permission denied\n\n").error.find("not 'Name: value'"),
            std::string::npos);
  EXPECT_FALSE(ParseShowInfo("").info);
}

TEST(SplitCommandOutputsTest, ReplyToTwoCommandsSplitsIntoBoth) {
  const std::string reply = kShowInfo + kShowStat;
  auto outputs = SplitCommandOutputs(reply);
  ASSERT_TRUE(outputs);
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_EQ(std::string((*outputs)[0]) + "\n", kShowInfo);
  EXPECT_EQ(std::string((*outputs)[1]) + "\n", kShowStat);
}

TEST(SplitCommandOutputsTest, EmptyOutputsAndMessagesCount) {
  auto success = SplitCommandOutputs("\n");
  ASSERT_TRUE(success);
  EXPECT_EQ(success->size(), 1u);
  EXPECT_EQ((*success)[0], "");
  auto refused = SplitCommandOutputs("No such server.\n\n");
  ASSERT_TRUE(refused);
  EXPECT_EQ((*refused)[0], "No such server.\n");
}

TEST(SplitCommandOutputsTest, ReplyCutShortIsRejected) {
  std::string whole = kShowInfo + kShowStat;
  EXPECT_FALSE(SplitCommandOutputs(whole.substr(0, whole.size() - 1)))
      << "the last output lacks its empty line";
  EXPECT_FALSE(SplitCommandOutputs(whole.substr(0, whole.size() - 500)));
  EXPECT_FALSE(SplitCommandOutputs(""));
}

TEST(ServerStateFromStatusTest, EveryHaproxyStatusMapsToARole) {
  struct Case {
    const char* status;
    bool backup;
    const char* role;
    bool accepting;
  } cases[] = {
      {"UP", false, "active", true},
      {"UP", true, "backup", true},
      {"UP 1/3", false, "active", true},  // failing checks, still in rotation
      {"no check", false, "active", true},
      {"no check", true, "backup", true},
      {"DRAIN", false, "draining", false},
      {"DRAIN (agent)", false, "draining", false},
      {"DRAIN (via app/s1)", false, "draining", false},
      {"MAINT", false, "maintenance", false},
      {"MAINT (via app/s1)", false, "maintenance", false},
      {"MAINT (resolution)", true, "maintenance", false},
      {"DOWN", false, "down", false},
      {"DOWN 1/2", false, "down", false},  // passing checks, not yet in rotation
      {"NOLB", false, "down", false},
      {"NOLB 1/2", false, "down", false},
      {"UPGRADING", false, "down", false},
      {"", false, "down", false},
  };
  for (const Case& c : cases) {
    HaproxyServerState state = ServerStateFromStatus(c.status, c.backup);
    EXPECT_EQ(state.role, c.role) << "status '" << c.status << "'";
    EXPECT_EQ(state.accepting_new_connections, c.accepting) << "status '" << c.status << "'";
  }
}

}  // namespace
}  // namespace cutover
