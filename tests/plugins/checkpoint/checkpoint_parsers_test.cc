#include "plugins/checkpoint/checkpoint_parsers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/plugins/checkpoint/checkpoint_fixtures.h"

namespace cutover {
namespace {

using testing::CheckpointFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

CphaprobState StateOf(const std::string& fixture) {
  ParseResult<CphaprobState> parsed = ParseCphaprobState(CheckpointFixture(fixture));
  EXPECT_TRUE(parsed.ok()) << fixture << ": " << parsed.error();
  return parsed.ok() ? parsed.value() : CphaprobState{};
}

// --- cphaprob state ---------------------------------------------------------------------

TEST(ParseCphaprobState, R80_40LayoutGivesModeMembersNamesAndLocalActive) {
  CphaprobState s = StateOf("cphaprob_state.r80_40_style.txt");
  EXPECT_EQ(s.cluster_mode, "High Availability (Active Up)");
  ASSERT_EQ(s.members.size(), 2u);
  EXPECT_EQ(s.members[0].id, 1);
  EXPECT_EQ(s.members[0].address, "10.40.7.11");
  EXPECT_EQ(s.members[0].load_percent, 100);
  EXPECT_EQ(s.members[0].state, "ACTIVE");
  EXPECT_EQ(s.members[0].name, "gw-east-a");
  EXPECT_TRUE(s.members[0].local);
  EXPECT_EQ(s.members[1].state, "STANDBY");
  EXPECT_EQ(s.members[1].name, "gw-east-b");
  EXPECT_FALSE(s.members[1].local);
  EXPECT_EQ(s.local_index, 0u);
  EXPECT_TRUE(s.pnotes_reported);
  EXPECT_THAT(s.active_pnotes, IsEmpty());
}

TEST(ParseCphaprobState, SparkLayoutHasNoNameColumnAndLocalInRowTwo) {
  CphaprobState s = StateOf("cphaprob_state.smb_style.txt");
  ASSERT_EQ(s.members.size(), 2u);
  EXPECT_EQ(s.local_index, 1u);
  EXPECT_EQ(s.local().address, "172.20.1.2");
  EXPECT_EQ(s.local().state, "ACTIVE");
  EXPECT_EQ(s.local().name, "");
  EXPECT_EQ(s.members[0].state, "STANDBY");
  EXPECT_EQ(s.members[0].load_percent, 0);
}

TEST(ParseCphaprobState, PreR80_20LayoutWithNumberHeaderAndTitleCase) {
  CphaprobState s = StateOf("cphaprob_state.pre_r80_20_style.txt");
  EXPECT_EQ(s.cluster_mode, "High Availability (Active Up) with IGMP Membership");
  ASSERT_EQ(s.members.size(), 2u);
  EXPECT_EQ(s.local().state, "Active");
  EXPECT_EQ(s.members[1].state, "Standby");
  EXPECT_FALSE(s.pnotes_reported) << "R77-R80.10 print no Active PNOTEs line";
}

TEST(ParseCphaprobState, ThreeMemberLoadSharingWithLocalInRowThree) {
  CphaprobState s = StateOf("cphaprob_state.load_sharing_3_members_local_row3.txt");
  EXPECT_EQ(s.cluster_mode, "Load Sharing (Multicast)");
  ASSERT_EQ(s.members.size(), 3u);
  EXPECT_EQ(s.local_index, 2u);
  EXPECT_EQ(s.local().name, "gw-ls-c");
  EXPECT_EQ(s.local().load_percent, 34);
  EXPECT_EQ(s.members[0].load_percent, 33);
}

TEST(ParseCphaprobState, FiveMembersWithLocalActiveBangAndAPnote) {
  CphaprobState s = StateOf("cphaprob_state.load_sharing_5_members_active_bang.txt");
  ASSERT_EQ(s.members.size(), 5u);
  EXPECT_EQ(s.local_index, 4u);
  EXPECT_EQ(s.local().state, "ACTIVE!");
  EXPECT_EQ(s.members[3].state, "DOWN");
  EXPECT_THAT(s.active_pnotes, ElementsAre("COREXL"));
}

TEST(ParseCphaprobState, ActiveParenBangWithSpaceBlankLinesAndTwoPnotes) {
  CphaprobState s = StateOf("cphaprob_state.active_paren_bang.txt");
  EXPECT_EQ(s.cluster_mode, "High Availability (Primary Up) with IGMP Membership");
  EXPECT_EQ(s.local().state, "ACTIVE(!)");
  EXPECT_EQ(s.local().name, "gw-east-a");
  EXPECT_THAT(s.active_pnotes, ElementsAre("LPRB", "IAC"));
}

TEST(ParseCphaprobState, TitleCaseActiveAttentionIsOneStateOfTwoWords) {
  CphaprobState s = StateOf("cphaprob_state.title_case_active_attention.txt");
  EXPECT_EQ(s.local_index, 1u);
  EXPECT_EQ(s.local().state, "Active attention");
  EXPECT_EQ(s.local().name, "") << "the Number layout has no Name column";
  EXPECT_EQ(s.members[0].state, "Down");
}

TEST(ParseCphaprobState, ReadyAndInitializingMembers) {
  CphaprobState s = StateOf("cphaprob_state.title_case_ready_initializing.txt");
  ASSERT_EQ(s.members.size(), 3u);
  EXPECT_EQ(s.local().state, "Ready");
  EXPECT_EQ(s.members[2].state, "Initializing");
}

TEST(ParseCphaprobState, InitLocalAndLostPeer) {
  CphaprobState s = StateOf("cphaprob_state.init_local_peer_lost.txt");
  EXPECT_EQ(s.local().state, "INIT");
  EXPECT_EQ(s.members[0].state, "LOST");
  EXPECT_THAT(s.active_pnotes, ElementsAre("CCP", "FULLSYNC"));
}

TEST(ParseCphaprobState, AfterClusterXlAdminDownTheLocalMemberIsDownWithTheAdminPnote) {
  CphaprobState s = StateOf("cphaprob_state.r80_40_admin_down.txt");
  EXPECT_EQ(s.local().state, "DOWN");
  EXPECT_EQ(s.local().load_percent, 0);
  EXPECT_THAT(s.active_pnotes, ElementsAre("ADMIN"));
}

TEST(ParseCphaprobState, StoppedClusterXlIsAnErrorQuotingWhatItPrinted) {
  ParseResult<CphaprobState> parsed =
      ParseCphaprobState(CheckpointFixture("cphaprob_state.ha_module_not_started.txt"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("cphaprob state: no member table"));
  EXPECT_THAT(parsed.error(), HasSubstr("HA module not started."));
}

TEST(ParseCphaprobState, EmptyOutputIsAnError) {
  ParseResult<CphaprobState> parsed = ParseCphaprobState("");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("it printed nothing"));
}

TEST(ParseCphaprobState, TruncatedAfterTheHeaderIsAnError) {
  std::string full = CheckpointFixture("cphaprob_state.r80_40_style.txt");
  std::string truncated = full.substr(0, full.find("1 (local)"));
  ParseResult<CphaprobState> parsed = ParseCphaprobState(truncated);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("member table is empty"));
}

TEST(ParseCphaprobState, TruncatedBeforeTheLocalRowIsAnError) {
  // Only the peer's row arrived: the local member's state is unknown, not guessed.
  std::string full = CheckpointFixture("cphaprob_state.smb_style.txt");
  std::string truncated = full.substr(0, full.find("2 (local)"));
  ParseResult<CphaprobState> parsed = ParseCphaprobState(truncated);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("0 member rows are marked (local)"));
}

TEST(ParseCphaprobState, TruncatedInsideARowIsAnError) {
  std::string full = CheckpointFixture("cphaprob_state.r80_40_style.txt");
  std::string truncated = full.substr(0, full.find("100%") + 2);
  ParseResult<CphaprobState> parsed = ParseCphaprobState(truncated);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("member row '1 (local)  10.40.7.11      10'"));
}

TEST(ParseCphaprobState, LoadThatIsNotAPercentageIsAnError) {
  ParseResult<CphaprobState> parsed = ParseCphaprobState(
      "ID  Unique Address  Assigned Load  State  Name\n1 (local) 10.0.0.1 lots ACTIVE a\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("assigned load 'lots' is not a percentage"));
}

TEST(ParseCphaprobState, TwoLocalRowsIsAnError) {
  ParseResult<CphaprobState> parsed = ParseCphaprobState(
      "ID  Unique Address  Assigned Load  State  Name\n"
      "1 (local) 10.0.0.1 100% ACTIVE a\n2 (local) 10.0.0.2 0% STANDBY b\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("2 member rows are marked (local)"));
}

TEST(ParseCphaprobState, GarbageIsAnError) {
  ParseResult<CphaprobState> parsed =
      ParseCphaprobState("CLINFR0329  Invalid command:'cphaprob state'.\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("Invalid command"));
}

TEST(CheckpointRole, EveryPublishedStateSpellingMapsToOneRole) {
  EXPECT_EQ(CheckpointRole("ACTIVE"), "active");
  EXPECT_EQ(CheckpointRole("Active"), "active");
  EXPECT_EQ(CheckpointRole("ACTIVE(!)"), "active_attention");
  EXPECT_EQ(CheckpointRole("ACTIVE!"), "active_attention");
  EXPECT_EQ(CheckpointRole("Active attention"), "active_attention");
  EXPECT_EQ(CheckpointRole("STANDBY"), "standby");
  EXPECT_EQ(CheckpointRole("Standby"), "standby");
  EXPECT_EQ(CheckpointRole("READY"), "ready");
  EXPECT_EQ(CheckpointRole("Ready"), "ready");
  EXPECT_EQ(CheckpointRole("DOWN"), "down");
  EXPECT_EQ(CheckpointRole("Down"), "down");
  EXPECT_EQ(CheckpointRole("INIT"), "initializing");
  EXPECT_EQ(CheckpointRole("Initializing"), "initializing");
  EXPECT_EQ(CheckpointRole("LOST"), "lost");
  EXPECT_EQ(CheckpointRole("BACKUP"), "unknown");
  EXPECT_EQ(CheckpointRole("ACTIVE sometimes"), "unknown");
  EXPECT_EQ(CheckpointRole(""), "unknown");
}

// --- cphaprob syncstat ------------------------------------------------------------------

TEST(ParseCphaprobSyncstat, R80_20LayoutWithStatusOkAndQueueSizes) {
  ParseResult<CphaprobSyncstat> parsed =
      ParseCphaprobSyncstat(CheckpointFixture("cphaprob_syncstat.r80_20_style.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const CphaprobSyncstat& s = parsed.value();
  EXPECT_TRUE(s.ok);
  EXPECT_EQ(s.status, "OK");
  EXPECT_EQ(s.off_reason, "");
  EXPECT_EQ(s.lost_updates, 0u);
  EXPECT_EQ(s.sent_messages, 88412u);
  EXPECT_EQ(s.sent_retransmission_requests, 2u);
  EXPECT_EQ(s.sent_retransmission_updates, 1u);
  EXPECT_EQ(s.received_updates, 5120u);
  EXPECT_EQ(s.received_retransmission_requests, 0u);
  EXPECT_EQ(s.sending_queue_size, 512u);
  EXPECT_EQ(s.receiving_queue_size, 256u);
  EXPECT_EQ(s.fragments_queue_size, 50u);
}

TEST(ParseCphaprobSyncstat, R81LayoutOffDuringConnectivityUpgrade) {
  ParseResult<CphaprobSyncstat> parsed =
      ParseCphaprobSyncstat(CheckpointFixture("cphaprob_syncstat.r81_style.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const CphaprobSyncstat& s = parsed.value();
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.status, "Off - Connectivity Upgrade (CU)");
  EXPECT_EQ(s.off_reason, "Connectivity Upgrade (CU)");
  EXPECT_EQ(s.lost_updates, 14u);
  EXPECT_EQ(s.sent_messages, 40177u);
  EXPECT_EQ(s.received_updates, 2981u);
  EXPECT_FALSE(s.sending_queue_size.has_value()) << "R81 prints no queue sizes";
}

TEST(ParseCphaprobSyncstat, FullSyncFailure) {
  ParseResult<CphaprobSyncstat> parsed = ParseCphaprobSyncstat(
      CheckpointFixture("cphaprob_syncstat.r80_20_off_full_sync_failure.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_FALSE(parsed.value().ok);
  EXPECT_EQ(parsed.value().off_reason, "Full-sync failure");
}

TEST(ParseCphaprobSyncstat, EveryPublishedOffReasonIsNotOk) {
  for (const char* reason :
       {"Full-sync failure", "Policy installation failure", "Release version mismatch",
        "Connection to remote member timed-out", "cpstop", "Manually disabled sync",
        "Connectivity Upgrade (CU)", "Boot"}) {
    std::string text = CheckpointFixture("cphaprob_syncstat.r80_20_style.txt");
    text.replace(text.find("OK"), 2, std::string("Off - ") + reason);
    ParseResult<CphaprobSyncstat> parsed = ParseCphaprobSyncstat(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_FALSE(parsed.value().ok) << reason;
    EXPECT_EQ(parsed.value().off_reason, reason);
  }
}

TEST(ParseCphaprobSyncstat, TruncatedBeforeReceivedFiguresIsAnError) {
  std::string full = CheckpointFixture("cphaprob_syncstat.r80_20_style.txt");
  ParseResult<CphaprobSyncstat> parsed =
      ParseCphaprobSyncstat(full.substr(0, full.find("Received updates:")));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("cphaprob syncstat: no 'Total received updates' line"));
}

TEST(ParseCphaprobSyncstat, CounterThatIsNotANumberIsAnError) {
  std::string text = CheckpointFixture("cphaprob_syncstat.r80_20_style.txt");
  text.replace(text.find("88412"), 5, "n/a");
  ParseResult<CphaprobSyncstat> parsed = ParseCphaprobSyncstat(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(),
              HasSubstr("'Total generated sync messages' is 'n/a', expected a whole number"));
}

TEST(ParseCphaprobSyncstat, GarbageIsAnError) {
  ParseResult<CphaprobSyncstat> parsed = ParseCphaprobSyncstat("Usage: cphaprob [-i] state\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("no 'Sync status:' line; it printed 'Usage:"));
}

// --- fw ctl pstat -----------------------------------------------------------------------

TEST(ParseFwCtlPstatSync, R80_10SyncSectionAbleToSendAndReceive) {
  ParseResult<FwCtlPstatSync> parsed =
      ParseFwCtlPstatSync(CheckpointFixture("fw_ctl_pstat_sync.r80_10_style.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const FwCtlPstatSync& p = parsed.value();
  EXPECT_TRUE(p.ok);
  EXPECT_EQ(p.status, "Able to Send/Receive sync packets");
  EXPECT_EQ(p.sent_total, 1022771u);
  EXPECT_EQ(p.sent_retransmitted, 12u);
  EXPECT_EQ(p.sent_retransmission_requests, 3u);
  EXPECT_EQ(p.received_total, 310298u);
  EXPECT_EQ(p.received_dropped_by_net, 0u);
  EXPECT_EQ(p.received_retransmission_requests, 5u);
  EXPECT_EQ(p.dropped_updates_sync_overload, 0u);
}

TEST(ParseFwCtlPstatSync, WholeOutputWithIndentedSectionUnableToReceive) {
  ParseResult<FwCtlPstatSync> parsed =
      ParseFwCtlPstatSync(CheckpointFixture("fw_ctl_pstat.full_unable_to_receive.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const FwCtlPstatSync& p = parsed.value();
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.status, "Unable to receive sync packets");
  EXPECT_EQ(p.sent_total, 52011u) << "the Connections section's 'total' must not leak in";
  EXPECT_EQ(p.received_total, 19u);
  EXPECT_EQ(p.received_dropped_by_net, 7u);
  EXPECT_EQ(p.received_retransmission_requests, 2u);
  EXPECT_EQ(p.dropped_updates_sync_overload, 1u);
}

TEST(ParseFwCtlPstatSync, SyncOffHasNoCounters) {
  ParseResult<FwCtlPstatSync> parsed =
      ParseFwCtlPstatSync(CheckpointFixture("fw_ctl_pstat.full_sync_off.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_TRUE(parsed.value().off);
  EXPECT_FALSE(parsed.value().ok);
  EXPECT_EQ(parsed.value().status, "off");
}

TEST(ParseFwCtlPstatSync, OtherPublishedStatusesAreNotOk) {
  for (const char* status : {"Able to send sync packets", "Unable to receive sync packets",
                             "Saving incoming sync packets"}) {
    std::string text = CheckpointFixture("fw_ctl_pstat_sync.r80_10_style.txt");
    text.replace(text.find("Able to Send/Receive sync packets"),
                 std::string("Able to Send/Receive sync packets").size(), status);
    ParseResult<FwCtlPstatSync> parsed = ParseFwCtlPstatSync(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_FALSE(parsed.value().ok) << status;
    EXPECT_EQ(parsed.value().status, status);
  }
}

TEST(ParseFwCtlPstatSync, TruncatedBeforeReceivedFiguresIsAnError) {
  std::string full = CheckpointFixture("fw_ctl_pstat_sync.r80_10_style.txt");
  ParseResult<FwCtlPstatSync> parsed =
      ParseFwCtlPstatSync(full.substr(0, full.find("Sync packets received:")));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("no 'Sync packets received: total' figure"));
}

TEST(ParseFwCtlPstatSync, NoSyncSectionIsAnError) {
  std::string full = CheckpointFixture("fw_ctl_pstat.full_sync_off.txt");
  ParseResult<FwCtlPstatSync> parsed = ParseFwCtlPstatSync(full.substr(0, full.find("Sync:")));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("fw ctl pstat: no 'Sync:' section"));
}

TEST(ParseFwCtlPstatSync, GarbageAfterSyncIsAnError) {
  ParseResult<FwCtlPstatSync> parsed = ParseFwCtlPstatSync("Sync: perhaps\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("unexpected 'Sync:' line 'Sync: perhaps'"));
}

TEST(ParseFwCtlPstatSync, CounterThatIsNotANumberIsAnError) {
  std::string text = CheckpointFixture("fw_ctl_pstat_sync.r80_10_style.txt");
  text.replace(text.find("1022771"), 7, "many");
  ParseResult<FwCtlPstatSync> parsed = ParseFwCtlPstatSync(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("'Sync packets sent: total' is 'many'"));
}

// --- fw tab -s --------------------------------------------------------------------------

TEST(ParseFwTabConnections, SingleTableGivesValsAndPeak) {
  ParseResult<FwTabConnections> parsed =
      ParseFwTabConnections(CheckpointFixture("fw_tab_connections_s.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().vals, 742u);
  EXPECT_EQ(parsed.value().peak, 9031u);
}

TEST(ParseFwTabConnections, SeveralTablesPicksTheOneNamedConnections) {
  ParseResult<FwTabConnections> parsed =
      ParseFwTabConnections(CheckpointFixture("fw_tab_s.several_tables.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().vals, 18311u);
  EXPECT_EQ(parsed.value().peak, 40213u);
}

TEST(ParseFwTabConnections, TableMissingIsAnError) {
  std::string text = CheckpointFixture("fw_tab_s.several_tables.txt");
  text.erase(text.find("localhost             connections"));
  ParseResult<FwTabConnections> parsed = ParseFwTabConnections(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("no row for table 'connections'"));
}

TEST(ParseFwTabConnections, TruncatedRowIsAnError) {
  std::string full = CheckpointFixture("fw_tab_connections_s.txt");
  ParseResult<FwTabConnections> parsed =
      ParseFwTabConnections(full.substr(0, full.find("742") + 3));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("has too few columns"));
}

TEST(ParseFwTabConnections, NonNumericCountIsAnError) {
  std::string text = CheckpointFixture("fw_tab_connections_s.txt");
  text.replace(text.find("742"), 3, "7x2");
  ParseResult<FwTabConnections> parsed = ParseFwTabConnections(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("#VALS and #PEAK must be whole numbers"));
}

TEST(ParseFwTabConnections, GarbageIsAnError) {
  ParseResult<FwTabConnections> parsed = ParseFwTabConnections("Table connections not found\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("no header line"));
  EXPECT_THAT(parsed.error(), HasSubstr("Table connections not found"));
}

// --- fw ver -----------------------------------------------------------------------------

TEST(ParseFwVer, VersionAndBuild) {
  ParseResult<FwVer> parsed = ParseFwVer(CheckpointFixture("fw_ver.txt"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().version, "R81.10");
  EXPECT_EQ(parsed.value().build, "335");
}

TEST(ParseFwVer, OlderSpellingWithoutMinorVersion) {
  ParseResult<FwVer> parsed =
      ParseFwVer("This is Check Point's software version R81 - Build 392\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().version, "R81");
}

TEST(ParseFwVer, TruncatedBeforeTheBuildIsAnError) {
  ParseResult<FwVer> parsed = ParseFwVer("This is Check Point's software version R81.10");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("fw ver: no '<version> - Build <n>' line"));
}

TEST(ParseFwVer, GarbageVersionIsAnError) {
  ParseResult<FwVer> parsed = ParseFwVer("This is Check Point's software version V8.1 - Build 1\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error(), HasSubstr("version 'V8.1' is not like R81.10"));
}

}  // namespace
}  // namespace cutover
