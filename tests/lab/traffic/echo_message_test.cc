#include "lab/traffic/echo_message.h"

#include <gtest/gtest.h>

namespace cutover::traffic {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(EchoMessage, CarriesSessionAndSequence) {
  EXPECT_EQ(FormatMessage(17, 42), "s17 #42\n");
  EXPECT_EQ(FormatMessage(1, 1), "s1 #1\n");
}

TEST(EchoTracker, AnEchoSplitAnywhereCompletesEachMessageOnceWithItsLatency) {
  EchoTracker tracker;
  Clock::time_point t0{};
  tracker.Sent("s1 #1\n", t0);
  tracker.Sent("s1 #2\n", t0 + milliseconds(10));
  EXPECT_FALSE(tracker.idle());
  EXPECT_EQ(tracker.OldestOutstanding(), t0);

  EchoCheck first = tracker.Received("s1 #", t0 + milliseconds(20));
  EXPECT_TRUE(first.ok) << first.error;
  EXPECT_TRUE(first.latencies.empty()) << "half a message is not an echo yet";

  EchoCheck second = tracker.Received("1\ns1 #2", t0 + milliseconds(30));
  EXPECT_TRUE(second.ok) << second.error;
  ASSERT_EQ(second.latencies.size(), 1u);
  EXPECT_EQ(second.latencies[0], milliseconds(30));
  EXPECT_EQ(tracker.OldestOutstanding(), t0 + milliseconds(10));

  EchoCheck third = tracker.Received("\n", t0 + milliseconds(50));
  ASSERT_EQ(third.latencies.size(), 1u);
  EXPECT_EQ(third.latencies[0], milliseconds(40));
  EXPECT_TRUE(tracker.idle());
  EXPECT_FALSE(tracker.OldestOutstanding().has_value());
  EXPECT_EQ(tracker.messages_echoed(), 2u);
}

TEST(EchoTracker, AnotherSessionsBytesAreAWrongEchoNamingBothMessages) {
  EchoTracker tracker;
  tracker.Sent("s1 #1\n", Clock::time_point{});
  tracker.Sent("s1 #2\n", Clock::time_point{});
  EchoCheck check = tracker.Received("s1 #1\ns9 #2\n", Clock::time_point{});
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.error, "wrong echo at byte 7: expected \"s1 #2\\n\", got \"s9 #2\\n\"");
}

TEST(EchoTracker, AnEchoOfSomethingNeverSentIsWrong) {
  EchoTracker tracker;
  tracker.Sent("s1 #1\n", Clock::time_point{});
  EchoCheck check = tracker.Received("s1 #1\nextra", Clock::time_point{});
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.error, "echo has 5 byte(s) more than was sent: \"extra\"");

  EchoTracker idle;
  EXPECT_FALSE(idle.Received("x", Clock::time_point{}).ok);
}

TEST(EchoTracker, ALostMessageShowsAsAWrongEcho) {
  EchoTracker tracker;
  tracker.Sent("s3 #1\n", Clock::time_point{});
  tracker.Sent("s3 #2\n", Clock::time_point{});
  EchoCheck check = tracker.Received("s3 #2\n", Clock::time_point{});
  EXPECT_FALSE(check.ok);
  EXPECT_NE(check.error.find("expected \"s3 #1\\ns3 #2\\n\", got \"s3 #2\\n\""), std::string::npos)
      << check.error;
}

TEST(Printable, EscapesControlBytesAndCutsLongInput) {
  EXPECT_EQ(Printable(std::string("a\"b\\\n\x01", 6)), "a\\\"b\\\\\\n\\x01");
  EXPECT_EQ(Printable(std::string(50, 'x'), 4), "xxxx...");
}

}  // namespace
}  // namespace cutover::traffic
