#include "actions/plan/plan.h"

#include <gtest/gtest.h>

#include <limits>

#include "actions/plan/plan_loader.h"

namespace cutover {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Condition Parsed(const std::string& text) {
  std::string error;
  auto condition = ParseCondition(text, &error);
  EXPECT_TRUE(condition.has_value()) << text << ": " << error;
  return condition.value_or(Condition{});
}

std::string RefusalOf(const std::string& text) {
  std::string error;
  auto condition = ParseCondition(text, &error);
  EXPECT_FALSE(condition.has_value())
      << "'" << text << "' was accepted as " << (condition ? condition->ToString() : "");
  return error;
}

TEST(ConditionTest, EachOperatorComparesLikeItsSymbol) {
  struct Case {
    Comparison op;
    bool below, at, above;  // value 9, 10 and 11 against threshold 10
  } cases[] = {
      {Comparison::kLess, true, false, false},
      {Comparison::kLessOrEqual, true, true, false},
      {Comparison::kEqual, false, true, false},
      {Comparison::kNotEqual, true, false, true},
      {Comparison::kGreaterOrEqual, false, true, true},
      {Comparison::kGreater, false, false, true},
  };
  for (const Case& c : cases) {
    Condition condition{c.op, 10};
    SCOPED_TRACE(condition.ToString());
    EXPECT_EQ(condition.Holds(9), c.below);
    EXPECT_EQ(condition.Holds(10), c.at);
    EXPECT_EQ(condition.Holds(11), c.above);
  }
}

TEST(ConditionTest, NaNMeasurementNeverPassesAGateEvenForNotEqual) {
  for (Comparison op : {Comparison::kLess, Comparison::kLessOrEqual, Comparison::kEqual,
                        Comparison::kNotEqual, Comparison::kGreaterOrEqual, Comparison::kGreater}) {
    Condition condition{op, 10};
    EXPECT_FALSE(condition.Holds(kNaN)) << condition.ToString() << " held for NaN";
  }
}

TEST(ConditionTest, InfinitiesCompareAsTheExtremesTheyAre) {
  EXPECT_TRUE((Condition{Comparison::kGreater, 1e9}).Holds(kInf));
  EXPECT_FALSE((Condition{Comparison::kLess, 1e9}).Holds(kInf));
  EXPECT_TRUE((Condition{Comparison::kLess, -1e9}).Holds(-kInf));
  EXPECT_FALSE((Condition{Comparison::kGreaterOrEqual, 0}).Holds(-kInf));
  EXPECT_TRUE((Condition{Comparison::kNotEqual, 0}).Holds(kInf));
  EXPECT_FALSE((Condition{Comparison::kEqual, 0}).Holds(kInf));
}

TEST(ConditionTest, ToStringWritesTheShortestNumber) {
  EXPECT_EQ((Condition{Comparison::kLess, 10}).ToString(), "< 10");
  EXPECT_EQ((Condition{Comparison::kGreaterOrEqual, 0.99}).ToString(), ">= 0.99");
  EXPECT_EQ((Condition{Comparison::kEqual, 1}).ToString(), "== 1");
  EXPECT_EQ((Condition{Comparison::kNotEqual, -2.5}).ToString(), "!= -2.5");
  EXPECT_EQ((Condition{Comparison::kLessOrEqual, 1e6}).ToString(), "<= 1e+06");
  EXPECT_EQ((Condition{Comparison::kGreater, 0}).ToString(), "> 0");
}

TEST(ConditionTest, ParsesOperatorsWithOrWithoutASpace) {
  Condition c = Parsed("<10");
  EXPECT_EQ(c.op, Comparison::kLess);
  EXPECT_EQ(c.threshold, 10);
  c = Parsed("< 10");
  EXPECT_EQ(c.op, Comparison::kLess);
  EXPECT_EQ(c.threshold, 10);
  c = Parsed(">= 0.99");
  EXPECT_EQ(c.op, Comparison::kGreaterOrEqual);
  EXPECT_EQ(c.threshold, 0.99);
  c = Parsed("== 1");
  EXPECT_EQ(c.op, Comparison::kEqual);
  EXPECT_EQ(c.threshold, 1);
  c = Parsed("<=0.5");
  EXPECT_EQ(c.op, Comparison::kLessOrEqual);
  c = Parsed("!= 0");
  EXPECT_EQ(c.op, Comparison::kNotEqual);
  c = Parsed(" > -3 ");
  EXPECT_EQ(c.op, Comparison::kGreater);
  EXPECT_EQ(c.threshold, -3);
}

TEST(ConditionTest, ParsingWhatToStringWroteGivesTheSameCondition) {
  for (const char* text : {"< 10", ">= 0.99", "== 1", "!= -2.5", "<= 1e+06", "> 0.1"}) {
    EXPECT_EQ(Parsed(text).ToString(), text);
  }
}

TEST(ConditionTest, RefusesWhatIsNotOperatorThenNumberAndSaysWhy) {
  EXPECT_EQ(RefusalOf("=< 10"), "unknown operator '=<' (use <, <=, ==, !=, >=, >)");
  EXPECT_EQ(RefusalOf("= 10"), "unknown operator '=' (use <, <=, ==, !=, >=, >)");
  EXPECT_EQ(RefusalOf("< ten"),
            "'ten' in condition '< ten' is not a number (write e.g. 10, 0.99 or 1e6)");
  EXPECT_EQ(RefusalOf("<"), "condition '<' has no number after '<' (write e.g. \"< 10\")");
  EXPECT_EQ(RefusalOf("< NaN"),
            "condition '< NaN' compares with NaN, which no value equals or orders against; "
            "write a number");
  EXPECT_EQ(RefusalOf("< +Inf"),
            "condition '< +Inf' compares with an infinity; write a finite number");
  EXPECT_EQ(RefusalOf("10"),
            "condition '10' does not start with an operator (write e.g. \"< 10\"; use <, <=, ==, "
            "!=, >=, >)");
  EXPECT_EQ(RefusalOf(""),
            "condition '' does not start with an operator (write e.g. \"< 10\"; use <, <=, ==, "
            "!=, >=, >)");
  RefusalOf("< 10 20");
  RefusalOf("< 0x10");
}

GateSpec Gate(std::string query) {
  GateSpec gate;
  gate.name = "g";
  gate.query = std::move(query);
  return gate;
}

TEST(ResolveQueryTest, ReplacesClusterAndMemberEverywhere) {
  GateSpec gate =
      Gate(R"(cutover_member_connections{ha_cluster="{{cluster}}",member="{{member}}"} )"
           R"(and on(member) cutover_member_up{ha_cluster="{{ cluster }}",member="{{ member }}"})");
  EXPECT_EQ(ResolveQuery(gate, "edge-fw", "fw1"),
            R"(cutover_member_connections{ha_cluster="edge-fw",member="fw1"} )"
            R"(and on(member) cutover_member_up{ha_cluster="edge-fw",member="fw1"})");
}

TEST(ResolveQueryTest, ClusterWideGateNeedsNoMember) {
  GateSpec gate = Gate(R"(min(cutover_member_up{ha_cluster="{{cluster}}"}) )");
  EXPECT_EQ(ResolveQuery(gate, "edge-fw", ""), R"(min(cutover_member_up{ha_cluster="edge-fw"}) )");
  EXPECT_FALSE(gate.PerMember());
}

TEST(ResolveQueryTest, QueryWithoutPlaceholdersIsUnchanged) {
  GateSpec gate = Gate("vector(1)");
  EXPECT_EQ(ResolveQuery(gate, "edge-fw", "fw1"), "vector(1)");
  EXPECT_FALSE(gate.PerMember());
}

TEST(ResolveQueryTest, LeavesUnknownAndUnclosedPlaceholdersVisible) {
  // The loader refuses these; if one ever got through, the query fails loudly in Prometheus
  // rather than measuring something else.
  EXPECT_EQ(ResolveQuery(Gate("up{job=\"{{job}}\",x=\"{{cluster}}\"}"), "c", "m"),
            "up{job=\"{{job}}\",x=\"c\"}");
  EXPECT_EQ(ResolveQuery(Gate("up{x=\"{{cluster}}\"} {{member"), "c", "m"), "up{x=\"c\"} {{member");
}

TEST(ResolveQueryTest, PerMemberWhenTheQueryNamesTheMember) {
  EXPECT_TRUE(Gate("up{member=\"{{member}}\"}").PerMember());
  EXPECT_TRUE(Gate("up{member=\"{{ member }}\"}").PerMember());
  EXPECT_FALSE(Gate("up{member=\"{member}\"}").PerMember());
}

TEST(PlanTest, FindStepByName) {
  Plan plan;
  plan.steps.resize(2);
  plan.steps[0].name = "drain-fw1";
  plan.steps[1].name = "upgrade-fw1";
  ASSERT_NE(plan.FindStep("upgrade-fw1"), nullptr);
  EXPECT_EQ(plan.FindStep("upgrade-fw1"), &plan.steps[1]);
  EXPECT_EQ(plan.FindStep("drain-fw2"), nullptr);
}

}  // namespace
}  // namespace cutover
