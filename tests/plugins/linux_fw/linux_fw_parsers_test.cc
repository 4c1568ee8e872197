// The parsers on output captured from conntrackd 1.4.7 / keepalived 2.2.7 / nftables
// 1.0.6 (fixtures/README.md says how each was captured) and on cut-short or foreign
// output, which must give an error and never a figure. `cluster_command status` is
// cutover's own protocol (plugins/linux_fw/README.md), so its cases are a table here
// rather than captures.
#include "plugins/linux_fw/linux_fw_parsers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/strings.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  std::string text = testing::ReadFile(std::string(CUTOVER_SOURCE_DIR) +
                                       "/tests/plugins/linux_fw/fixtures/" + name);
  EXPECT_FALSE(text.empty()) << "fixture " << name << " is missing or empty";
  return text;
}

std::string FirstLines(const std::string& text, int lines) {
  std::size_t at = 0;
  for (int i = 0; i < lines && at != std::string::npos; ++i) at = text.find('\n', at + 1);
  return text.substr(0, at);
}

TEST(ConntrackCountTest, ReadsTheKernelTableSize) {
  auto count = ParseConntrackCount(Fixture("conntrack_count.txt"));
  ASSERT_TRUE(count.ok()) << count.error();
  EXPECT_EQ(count.value(), 406u);

  auto empty = ParseConntrackCount(Fixture("conntrack_count_empty.txt"));
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_EQ(empty.value(), 0u);
}

TEST(ConntrackCountTest, AnErrorMessageIsNotACount) {
  auto count = ParseConntrackCount(
      "conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted\n");
  ASSERT_FALSE(count.ok());
  EXPECT_THAT(count.error(), HasSubstr("Operation not permitted"));
  EXPECT_FALSE(ParseConntrackCount("").ok());
  EXPECT_FALSE(ParseConntrackCount("-3").ok());
  EXPECT_FALSE(ParseConntrackCount("12 entries").ok());
}

TEST(ConntrackdStatsTest, ReceiverHoldsThePeersStatesInItsExternalCache) {
  auto stats = ParseConntrackdStats(Fixture("conntrackd_stats_receiver_lossy.txt"));
  ASSERT_TRUE(stats.ok()) << stats.error();
  const auto& s = stats.value();
  EXPECT_EQ(s.internal.active, 0u);
  EXPECT_EQ(s.external.active, 406u);
  EXPECT_EQ(s.external.created, 406u);
  EXPECT_EQ(s.external.created_failed, 0u);
  EXPECT_EQ(s.lost_messages, 191u);
  EXPECT_EQ(s.malformed_messages, 0u);
  ASSERT_TRUE(s.traffic.has_value());
  EXPECT_EQ(s.traffic->kind, "UDP");
  EXPECT_EQ(s.traffic->device, "lt-b");
  EXPECT_EQ(s.traffic->bytes_sent, 1936u);
  EXPECT_EQ(s.traffic->bytes_received, 34328u);
  EXPECT_EQ(s.traffic->packets_sent, 71u);
  EXPECT_EQ(s.traffic->packets_received, 395u);
  EXPECT_EQ(s.traffic->send_errors, 0u);
}

TEST(ConntrackdStatsTest, SenderHoldsItsOwnStatesInItsInternalCache) {
  auto stats = ParseConntrackdStats(Fixture("conntrackd_stats_sender.txt"));
  ASSERT_TRUE(stats.ok()) << stats.error();
  EXPECT_EQ(stats.value().internal.active, 406u);
  EXPECT_EQ(stats.value().internal.created, 406u);
  EXPECT_EQ(stats.value().external.active, 0u);
  EXPECT_EQ(stats.value().traffic->packets_sent, 475u);
  EXPECT_EQ(stats.value().lost_messages, 0u);
}

TEST(ConntrackdStatsTest, MulticastSyncLinkIsRecognised) {
  auto stats = ParseConntrackdStats(Fixture("conntrackd_stats_multicast.txt"));
  ASSERT_TRUE(stats.ok()) << stats.error();
  EXPECT_EQ(stats.value().external.active, 1u);
  ASSERT_TRUE(stats.value().traffic.has_value());
  EXPECT_EQ(stats.value().traffic->kind, "multicast");
  EXPECT_EQ(stats.value().traffic->packets_received, 8u);
}

TEST(ConntrackdStatsTest, OutputCutBeforeTheExternalCacheIsAnError) {
  std::string full = Fixture("conntrackd_stats_receiver.txt");
  auto stats = ParseConntrackdStats(FirstLines(full, 7));  // ends inside "cache external"
  ASSERT_FALSE(stats.ok());
  EXPECT_THAT(stats.error(), HasSubstr("cache external"));
}

TEST(ConntrackdStatsTest, OutputCutInsideTheTrafficBlockIsAnError) {
  std::string full = Fixture("conntrackd_stats_receiver.txt");
  auto stats = ParseConntrackdStats(FirstLines(full, 18));  // no "Error" line
  ASSERT_FALSE(stats.ok());
  EXPECT_THAT(stats.error(), HasSubstr("UDP traffic"));
}

TEST(ConntrackdStatsTest, TheDaemonsConnectErrorIsNotStatistics) {
  auto stats = ParseConntrackdStats(Fixture("conntrackd_not_running.txt"));
  ASSERT_FALSE(stats.ok());
  EXPECT_THAT(stats.error(), HasSubstr("can't connect"));
}

TEST(ConntrackdStatsTest, AGarbledFigureIsAnErrorNotAZero) {
  std::string text = Fixture("conntrackd_stats_receiver.txt");
  std::size_t at = text.find("           6\n", text.find("cache external"));
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "         six");
  auto stats = ParseConntrackdStats(text);
  ASSERT_FALSE(stats.ok());
  EXPECT_THAT(stats.error(), HasSubstr("six"));
  EXPECT_FALSE(ParseConntrackdStats("").ok());
  EXPECT_FALSE(ParseConntrackdStats("\x01\x02garbage:\n\t::: 5 :\n").ok());
}

TEST(ConntrackdNetworkStatsTest, ReceiverCountsSequenceGapsAsLost) {
  auto stats = ParseConntrackdNetworkStats(Fixture("conntrackd_network_receiver_lossy.txt"));
  ASSERT_TRUE(stats.ok()) << stats.error();
  const auto& s = stats.value();
  EXPECT_EQ(s.packets_lost, 191u);
  EXPECT_EQ(s.packets_before, 0u);
  EXPECT_EQ(s.received_malformed, 0u);
  EXPECT_EQ(s.sent_malformed, 0u);
  ASSERT_TRUE(s.traffic.has_value());
  EXPECT_EQ(s.traffic->packets_sent, 71u);
  EXPECT_EQ(s.traffic->packets_received, 395u);
}

TEST(ConntrackdNetworkStatsTest, EveryRejectReasonIsRead) {
  // The captured output has zeros everywhere; give each reason its own value so a
  // figure read into the wrong field shows.
  std::string text = Fixture("conntrackd_network_sender.txt");
  const std::vector<std::pair<std::string, std::string>> reasons = {
      {"Wrong protocol version:", "11"}, {"Malformed header:", "12"},  {"Malformed payload:", "13"},
      {"Bad message type:", "14"},       {"Truncated message:", "15"}, {"Bad message size:", "16"},
      {"Packets before:", "17"}};
  for (const auto& [label, value] : reasons) {
    std::size_t at = text.find(label);
    ASSERT_NE(at, std::string::npos) << label;
    std::size_t zero = text.find('0', at);
    text.replace(zero, 1, value);
  }
  auto stats = ParseConntrackdNetworkStats(text);
  ASSERT_TRUE(stats.ok()) << stats.error();
  EXPECT_EQ(stats.value().wrong_protocol_version, 11u);
  EXPECT_EQ(stats.value().malformed_header, 12u);
  EXPECT_EQ(stats.value().malformed_payload, 13u);
  EXPECT_EQ(stats.value().bad_message_type, 14u);
  EXPECT_EQ(stats.value().truncated_message, 15u);
  EXPECT_EQ(stats.value().bad_message_size, 16u);
  EXPECT_EQ(stats.value().packets_before, 17u);
  EXPECT_EQ(stats.value().traffic->packets_sent, 475u);
}

TEST(ConntrackdNetworkStatsTest, MulticastLinkIsRecognised) {
  auto stats = ParseConntrackdNetworkStats(Fixture("conntrackd_network_multicast.txt"));
  ASSERT_TRUE(stats.ok()) << stats.error();
  EXPECT_EQ(stats.value().traffic->kind, "multicast");
  EXPECT_EQ(stats.value().traffic->device, "lt-b");
}

TEST(ConntrackdNetworkStatsTest, CutShortOrForeignOutputIsAnError) {
  std::string full = Fixture("conntrackd_network_receiver_lossy.txt");
  auto cut = ParseConntrackdNetworkStats(FirstLines(full, 12));  // before sequence tracking
  ASSERT_FALSE(cut.ok());
  EXPECT_THAT(cut.error(), HasSubstr("Packets lost"));

  // General statistics are not network statistics.
  auto general = ParseConntrackdNetworkStats(Fixture("conntrackd_stats_receiver.txt"));
  EXPECT_FALSE(general.ok());

  auto down = ParseConntrackdNetworkStats(Fixture("conntrackd_not_running.txt"));
  ASSERT_FALSE(down.ok());
  EXPECT_THAT(down.error(), HasSubstr("can't connect"));
}

TEST(KeepalivedStateTest, NotifyLinesMapToRoles) {
  auto master = ParseKeepalivedState(Fixture("keepalived_notify_master.txt"));
  ASSERT_TRUE(master.ok()) << master.error();
  EXPECT_EQ(master.value().role, "active");
  EXPECT_EQ(master.value().state, "MASTER");
  EXPECT_EQ(master.value().scope, "INSTANCE");
  EXPECT_EQ(master.value().name, "VI_1");
  EXPECT_EQ(master.value().priority, 100);

  auto stopped = ParseKeepalivedState(Fixture("keepalived_notify_stop.txt"));
  ASSERT_TRUE(stopped.ok()) << stopped.error();
  EXPECT_EQ(stopped.value().role, "stopped");
  EXPECT_EQ(stopped.value().priority, 50);
}

TEST(KeepalivedStateTest, AnAppendedHistoryCountsByItsLastLine) {
  auto state = ParseKeepalivedState(Fixture("keepalived_notify_history.txt"));
  ASSERT_TRUE(state.ok()) << state.error();
  EXPECT_EQ(state.value().state, "STOP");
}

TEST(KeepalivedStateTest, BareWordsAndGroupsAreAccepted) {
  EXPECT_EQ(ParseKeepalivedState("BACKUP\n").value().role, "standby");
  EXPECT_EQ(ParseKeepalivedState("fault").value().role, "fault");
  EXPECT_EQ(ParseKeepalivedState("DELETED\n").value().role, "stopped");
  auto group = ParseKeepalivedState("GROUP G1 MASTER 0\n");
  ASSERT_TRUE(group.ok()) << group.error();
  EXPECT_EQ(group.value().scope, "GROUP");
  EXPECT_EQ(group.value().role, "active");
}

TEST(KeepalivedStateTest, AnythingElseIsAnErrorNamingWhatWasFound) {
  auto empty = ParseKeepalivedState("\n\n");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error(), HasSubstr("empty"));

  auto unknown = ParseKeepalivedState("INSTANCE VI_1 PRIMARY 150\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error(), HasSubstr("PRIMARY"));

  auto truncated = ParseKeepalivedState("INSTANCE VI_1 MAS");
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.error(), HasSubstr("INSTANCE VI_1 MAS"));

  EXPECT_FALSE(ParseKeepalivedState("INSTANCE VI_1 MASTER high\n").ok());
  EXPECT_FALSE(ParseKeepalivedState("cat: /run/cutover/vrrp-state: No such file\n").ok());
}

struct ClusterStatusCase {
  std::string what;    // what the site script said, in an operator's words
  std::string output;  // what `cluster_command status` printed
  std::string role;    // expected role; empty: the output must be refused
  bool accepting = false;
  std::string error;  // for a refusal: what the error must quote
};

TEST(ClusterStatusTest, TheSiteCommandsAnswerGivesRoleAndAccepting) {
  const ClusterStatusCase cases[] = {
      {"an active member taking its share", "role=active\naccepting=1\n", "active", true, ""},
      {"an active member draining", "role=active\naccepting=0\n", "active", false, ""},
      {"a standby member", "role=standby\naccepting=0\n", "standby", false, ""},
      {"an upgraded member waiting to join", "accepting=0\nrole=ready\n", "ready", false, ""},
      {"a disconnected member", "role=down\naccepting=0", "down", false, ""},
      {"blank lines, CRLF and surrounding spaces", "\n  role=active\r\n\naccepting=1  \n", "active",
       true, ""},
      {"keys a newer site script adds", "role=standby\npeers=3\nupgrade_mode=on\naccepting=0\n",
       "standby", false, ""},
      {"an unknown key whose value has spaces or '='", "role=active\nnote=a = b\naccepting=1\n",
       "active", true, ""},
      {"no role", "accepting=1\n", "", false, "no role"},
      {"no accepting", "role=active\n", "", false, "no accepting"},
      {"nothing at all", "", "", false, "no role"},
      {"a role cutover does not know", "role=primary\naccepting=1\n", "", false, "role=primary"},
      {"a role in capitals", "role=ACTIVE\naccepting=1\n", "", false, "role=ACTIVE"},
      {"accepting as a word", "role=active\naccepting=yes\n", "", false, "accepting=yes"},
      {"accepting as 2", "role=active\naccepting=2\n", "", false, "accepting=2"},
      {"an empty role", "role=\naccepting=0\n", "", false, "role="},
      {"role twice", "role=active\nrole=down\naccepting=0\n", "", false, "role=down"},
      {"accepting twice", "role=active\naccepting=1\naccepting=0\n", "", false, "accepting=0"},
      {"a shell error before the answer",
       "cluster-member: 3: vtysh: not found\nrole=active\naccepting=1\n", "", false,
       "vtysh: not found"},
      {"an error message that contains '='", "role=active\nError: state = unknown\naccepting=1\n",
       "", false, "Error: state = unknown"},
      {"spaces around '='", "role = active\naccepting=1\n", "", false, "role = active"},
      {"the keepalived state file by mistake", "INSTANCE VI_1 MASTER 150\n", "", false,
       "INSTANCE VI_1 MASTER 150"},
  };
  for (const ClusterStatusCase& c : cases) {
    auto status = ParseClusterStatus(c.output);
    if (c.role.empty()) {
      ASSERT_FALSE(status.ok()) << c.what << ": was read as role " << status.value().role;
      EXPECT_THAT(status.error(), HasSubstr(c.error)) << c.what;
    } else {
      ASSERT_TRUE(status.ok()) << c.what << ": " << status.error();
      EXPECT_EQ(status.value().role, c.role) << c.what;
      EXPECT_EQ(status.value().accepting, c.accepting) << c.what;
    }
  }
}

TEST(NftCounterTest, ReadsTheForwardedCountersTotals) {
  auto counter = ParseNftCounter(Fixture("nft_counter_forwarded.txt"));
  ASSERT_TRUE(counter.ok()) << counter.error();
  EXPECT_EQ(counter.value().name, "forwarded");
  EXPECT_EQ(counter.value().packets, 14u);
  EXPECT_EQ(counter.value().bytes, 1988u);
}

TEST(NftCounterTest, ACommentInTheCounterIsSkipped) {
  auto counter = ParseNftCounter(Fixture("nft_counter_with_comment.txt"));
  ASSERT_TRUE(counter.ok()) << counter.error();
  EXPECT_EQ(counter.value().name, "invalid");
  EXPECT_EQ(counter.value().packets, 0u) << "a counter nothing hit yet is 0, not missing";
  EXPECT_EQ(counter.value().bytes, 0u);
}

// A ruleset that lacks the counter the setting names: nft exits 1 and explains on stderr.
// The driver reports the exit status; should the text ever reach the parser, it is no figure.
TEST(NftCounterTest, NftsErrorForAMissingCounterIsNoFigure) {
  auto counter = ParseNftCounter(Fixture("nft_counter_missing.txt"));
  ASSERT_FALSE(counter.ok()) << "read as " << counter.value().packets << " packets";
  EXPECT_THAT(counter.error(), HasSubstr("No such file or directory"));
}

// `nft -s` leaves the totals out; reading that as 0 packets would hide all traffic.
TEST(NftCounterTest, AStatelessListingHasNoTotals) {
  auto counter = ParseNftCounter(Fixture("nft_counter_stateless.txt"));
  ASSERT_FALSE(counter.ok());
  EXPECT_THAT(counter.error(), HasSubstr("'packets N bytes N'"));
}

TEST(NftCounterTest, AWholeRulesetIsNotOneCounter) {
  auto counter = ParseNftCounter(Fixture("nft_ruleset_lab.txt"));
  ASSERT_FALSE(counter.ok());
  EXPECT_THAT(counter.error(), HasSubstr("second one"));
  EXPECT_THAT(counter.error(), HasSubstr("counter invalid {"));
}

TEST(NftCounterTest, CutShortOrGarbledOutputIsAnErrorNotAZero) {
  const std::string forwarded = Fixture("nft_counter_forwarded.txt");
  const std::pair<std::string, std::string> cases[] = {
      {"", "a 'counter NAME {' block"},
      {FirstLines(forwarded, 2), "a 'packets N bytes N' line"},
      {FirstLines(forwarded, 3), "the closing braces"},
      {"table inet co_firewall {\n\tcounter forwarded {\n\t\tpackets many bytes 3456\n\t}\n}\n",
       "packets many bytes 3456"},
      {"table inet co_firewall {\n\tcounter forwarded {\n\t\tpackets 12\n\t}\n}\n", "packets 12"},
      {"table inet co_firewall {\n\tcounter forwarded {\n\t\tpackets -1 bytes 0\n\t}\n}\n",
       "packets -1 bytes 0"},
      {"table inet co_firewall {\n\tcounter forwarded {\n\t\tpackets 1 bytes 2\n"
       "\t\tpackets 3 bytes 4\n\t}\n}\n",
       "packets 3 bytes 4"},
      {"sh: 1: nft: not found\n", "nft: not found"},
      {"406\n", "406"},
  };
  for (const auto& [output, quoted] : cases) {
    auto counter = ParseNftCounter(output);
    ASSERT_FALSE(counter.ok()) << QuoteCommandOutput(output) << " was read as "
                               << counter.value().packets << " packets";
    EXPECT_THAT(counter.error(), HasSubstr(quoted)) << QuoteCommandOutput(output);
  }
}

}  // namespace
}  // namespace cutover
