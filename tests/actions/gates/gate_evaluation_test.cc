// Gate evaluation as an operator relies on it: a measurement's phase from one query
// result, the running tally, the verdict that lets a step run (or not), and the sentence
// `cutoverctl status` shows. All pure; no Prometheus needed.
#include "actions/gates/gate_evaluation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace cutover {
namespace {

using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
const std::string kQuery = "cutover_member_connections{ha_cluster=\"edge\",member=\"fw1\"}";

GateSpec Gate(Comparison op, double threshold, NoDataPolicy no_data = NoDataPolicy::kFail) {
  GateSpec gate;
  gate.name = "drained";
  gate.query = "cutover_member_connections{ha_cluster=\"{{cluster}}\",member=\"{{member}}\"}";
  gate.condition = Condition{op, threshold};
  gate.no_data = no_data;
  return gate;
}

QueryResult Value(double value) {
  QueryResult r;
  r.kind = QueryResult::Kind::kValue;
  r.value = value;
  r.series_count = 1;
  return r;
}

QueryResult NoData() {
  QueryResult r;
  r.kind = QueryResult::Kind::kNoData;
  return r;
}

QueryResult Many(int count) {
  QueryResult r;
  r.kind = QueryResult::Kind::kMany;
  r.series_count = count;
  return r;
}

QueryResult Failure(std::string error) {
  QueryResult r;
  r.kind = QueryResult::Kind::kError;
  r.error = std::move(error);
  return r;
}

struct MeasureCase {
  std::string situation;
  GateSpec gate;
  QueryResult result;
  Phase phase;
  std::string message;  // a substring; "" means the message must be empty
};

TEST(MeasureTest, EachQueryResultGetsThePhaseAnOperatorExpects) {
  const std::vector<MeasureCase> cases = {
      {"37 connections left on a gate that needs < 10", Gate(Comparison::kLess, 10), Value(37),
       Phase::kFailed, ""},
      {"3 connections left on a gate that needs < 10", Gate(Comparison::kLess, 10), Value(3),
       Phase::kSuccessful, ""},
      {"exactly the threshold with <", Gate(Comparison::kLess, 10), Value(10), Phase::kFailed, ""},
      {"exactly the threshold with <=", Gate(Comparison::kLessOrEqual, 10), Value(10),
       Phase::kSuccessful, ""},
      {"sync_ok == 1 holds", Gate(Comparison::kEqual, 1), Value(1), Phase::kSuccessful, ""},
      {"sync_ok == 1 with 0", Gate(Comparison::kEqual, 1), Value(0), Phase::kFailed, ""},
      {"role != 0 with 2", Gate(Comparison::kNotEqual, 0), Value(2), Phase::kSuccessful, ""},
      {"ratio >= 0.99 with 0.995", Gate(Comparison::kGreaterOrEqual, 0.99), Value(0.995),
       Phase::kSuccessful, ""},
      {"ratio > 0.99 with 0.99", Gate(Comparison::kGreater, 0.99), Value(0.99), Phase::kFailed, ""},
      {"NaN (0/0 in a ratio) against <", Gate(Comparison::kLess, 10), Value(kNaN),
       Phase::kInconclusive, "query returned NaN"},
      {"NaN against != never counts as different", Gate(Comparison::kNotEqual, 0), Value(kNaN),
       Phase::kInconclusive, "query returned NaN"},
      {"NaN against >=", Gate(Comparison::kGreaterOrEqual, 0), Value(kNaN), Phase::kInconclusive,
       "query returned NaN"},
      {"+Inf against < 10", Gate(Comparison::kLess, 10), Value(kInf), Phase::kFailed, ""},
      {"+Inf against > 0", Gate(Comparison::kGreater, 0), Value(kInf), Phase::kSuccessful, ""},
      {"-Inf against < 10", Gate(Comparison::kLess, 10), Value(-kInf), Phase::kSuccessful, ""},
      {"-Inf against >= 0", Gate(Comparison::kGreaterOrEqual, 0), Value(-kInf), Phase::kFailed, ""},
      {"no data under no_data: fail", Gate(Comparison::kLess, 10, NoDataPolicy::kFail), NoData(),
       Phase::kFailed, "no data: the query returned nothing"},
      {"no data under no_data: wait", Gate(Comparison::kLess, 10, NoDataPolicy::kWait), NoData(),
       Phase::kInconclusive, "(no_data: wait)"},
      {"three series where one number was expected", Gate(Comparison::kLess, 10), Many(3),
       Phase::kError,
       "query returned 3 series; a gate reads one number: aggregate it, e.g. max(...)"},
      {"a Prometheus error", Gate(Comparison::kLess, 10),
       Failure("Prometheus answered HTTP 400 bad_data: parse error"), Phase::kError,
       "Prometheus answered HTTP 400 bad_data: parse error"},
      {"an error without a text", Gate(Comparison::kLess, 10), Failure(""), Phase::kError,
       "unknown reason"},
  };
  for (const MeasureCase& c : cases) {
    SCOPED_TRACE(c.situation);
    Measurement m = Measure(c.gate, "fw1", kQuery, c.result, {});
    EXPECT_EQ(PhaseName(m.phase), PhaseName(c.phase));
    if (c.message.empty()) {
      EXPECT_EQ(m.message, "");
    } else {
      EXPECT_THAT(m.message, HasSubstr(c.message));
    }
  }
}

TEST(MeasureTest, NoDataMessagesNameThePolicy) {
  EXPECT_THAT(Measure(Gate(Comparison::kLess, 10, NoDataPolicy::kFail), "fw1", kQuery, NoData(), {})
                  .message,
              HasSubstr("(no_data: fail)"));
  EXPECT_THAT(Measure(Gate(Comparison::kLess, 10, NoDataPolicy::kWait), "fw1", kQuery, NoData(), {})
                  .message,
              HasSubstr("no data: the query returned nothing"));
}

TEST(MeasureTest, FillsEveryFieldTheJournalRecords) {
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1795238186));
  Measurement m = Measure(Gate(Comparison::kLess, 10), "fw1", kQuery, Value(37), at);
  EXPECT_EQ(m.gate, "drained");
  EXPECT_EQ(m.member, "fw1");
  EXPECT_EQ(m.query, kQuery) << "the resolved query, not the template";
  EXPECT_EQ(m.phase, Phase::kFailed);
  ASSERT_TRUE(m.value.has_value());
  EXPECT_EQ(*m.value, 37);
  EXPECT_EQ(m.condition, "< 10");
  EXPECT_EQ(m.at, at);

  Measurement nan = Measure(Gate(Comparison::kLess, 10), "", "q", Value(kNaN), at);
  ASSERT_TRUE(nan.value.has_value()) << "a NaN is a value the operator should see";
  EXPECT_TRUE(std::isnan(*nan.value));
  EXPECT_EQ(nan.member, "") << "cluster-wide gate";

  EXPECT_FALSE(Measure(Gate(Comparison::kLess, 10), "fw1", kQuery, NoData(), at).value);
  EXPECT_FALSE(Measure(Gate(Comparison::kLess, 10), "fw1", kQuery, Many(2), at).value);
  EXPECT_FALSE(Measure(Gate(Comparison::kLess, 10), "fw1", kQuery, Failure("x"), at).value);
}

TEST(CountTest, ResetsStreaksAsDocumented) {
  GateTally t;
  t = Count(t, Phase::kSuccessful);
  t = Count(t, Phase::kSuccessful);
  EXPECT_EQ(t.consecutive_successes, 2);
  t = Count(t, Phase::kError);
  EXPECT_EQ(t.consecutive_successes, 0) << "an error interrupts a streak of successes";
  EXPECT_EQ(t.consecutive_errors, 1);
  t = Count(t, Phase::kError);
  t = Count(t, Phase::kInconclusive);
  EXPECT_EQ(t.consecutive_errors, 0) << "a non-error measurement ends an error streak";
  t = Count(t, Phase::kFailed);
  t = Count(t, Phase::kSuccessful);
  EXPECT_EQ(t.measurements, 7);
  EXPECT_EQ(t.failures, 1);
  EXPECT_EQ(t.inconclusives, 1);
  EXPECT_EQ(t.consecutive_successes, 1);
  EXPECT_EQ(t.consecutive_errors, 0);
}

Phase PhaseOf(char c) {
  switch (c) {
    case 'S':
      return Phase::kSuccessful;
    case 'F':
      return Phase::kFailed;
    case 'I':
      return Phase::kInconclusive;
    default:
      return Phase::kError;
  }
}

char Letter(GateVerdict v) {
  switch (v) {
    case GateVerdict::kPending:
      return 'p';
    case GateVerdict::kPassed:
      return 'P';
    case GateVerdict::kFailed:
      return 'F';
    case GateVerdict::kError:
      return 'E';
  }
  return '?';
}

// The verdicts after each measurement of a sequence: S/F/I/E in, p/P/F/E out.
std::string Verdicts(const GateSpec& gate, const std::string& phases) {
  std::string out;
  GateTally tally;
  for (char c : phases) out.push_back(Letter(Assess(gate, tally = Count(tally, PhaseOf(c)))));
  return out;
}

struct Limits {
  int samples;
  int failure_limit;
  int inconclusive_limit;
  int consecutive_error_limit;
};

GateSpec WithLimits(Limits l) {
  GateSpec gate = Gate(Comparison::kLess, 10);
  gate.samples = l.samples;
  gate.failure_limit = l.failure_limit;
  gate.inconclusive_limit = l.inconclusive_limit;
  gate.consecutive_error_limit = l.consecutive_error_limit;
  return gate;
}

struct SequenceCase {
  std::string situation;
  Limits limits;  // samples, failure_limit, inconclusive_limit, consecutive_error_limit
  std::string phases;
  std::string verdicts;
};

TEST(AssessTest, VerdictAfterEachMeasurement) {
  const std::vector<SequenceCase> cases = {
      {"one good sample passes", {1, -1, -1, 4}, "S", "P"},
      {"three samples in a row", {3, -1, -1, 4}, "SSS", "ppP"},
      {"a failure restarts the count", {3, -1, -1, 4}, "SSFSSS", "pppppP"},
      {"an inconclusive restarts the count", {3, -1, -1, 4}, "SSISSS", "pppppP"},
      {"an error restarts the count", {3, -1, -1, 4}, "SSESSS", "pppppP"},
      {"no limits: failures keep the gate waiting", {1, -1, -1, 4}, "FFFFFFFFFFS", "ppppppppppP"},
      {"failure_limit 0: the first failure fails the gate", {1, 0, -1, 4}, "F", "F"},
      {"failure_limit 0: failed stays failed", {1, 0, -1, 4}, "FS", "FF"},
      {"failure_limit 2 tolerates two failures", {1, 2, -1, 4}, "FFS", "ppP"},
      {"failure_limit 2: the third failure fails", {1, 2, -1, 4}, "FFF", "ppF"},
      {"failures count in total, not in a row", {1, 1, -1, 4}, "FSF", "pPF"},
      {"inconclusive_limit 0: the first NaN fails", {1, -1, 0, 4}, "I", "F"},
      {"inconclusive_limit 1", {1, -1, 1, 4}, "ISI", "pPF"},
      {"no inconclusive limit: wait for data", {1, -1, -1, 4}, "IIIIIS", "pppppP"},
      {"inconclusives do not count as failures", {1, 0, -1, 4}, "IIS", "ppP"},
      {"failures do not count as inconclusives", {1, -1, 0, 4}, "FFS", "ppP"},
      {"five errors in a row exceed the default 4", {1, -1, -1, 4}, "EEEEE", "ppppE"},
      {"errors then a success: the run resumes", {1, -1, -1, 4}, "EEEEES", "ppppEP"},
      {"errors then samples 2: pending until two", {2, -1, -1, 4}, "EEEEESS", "ppppEpP"},
      {"consecutive_error_limit 0", {1, -1, -1, 0}, "ES", "EP"},
      {"consecutive_error_limit -1: errors only wait", {1, -1, -1, -1}, "EEEEEEEEES", "pppppppppP"},
      {"a failure ends an error streak", {1, -1, -1, 1}, "EFEFE", "ppppp"},
      {"an inconclusive ends an error streak", {1, -1, -1, 1}, "EIEIEE", "pppppE"},
      {"a success ends an error streak", {2, -1, -1, 1}, "ESEE", "pppE"},
      {"Failed wins over Error", {1, 0, -1, 0}, "FE", "FF"},
      {"Failed wins over Error with the error first", {1, 0, -1, 0}, "EF", "EF"},
      {"Failed wins over Passed", {1, 0, -1, 4}, "FSSS", "FFFF"},
      {"inconclusive Failed wins over Passed", {1, -1, 0, 4}, "IS", "FF"},
      {"samples 0 still needs one success", {0, -1, -1, 4}, "IS", "pP"},
      {"all limits at 0: one success passes", {1, 0, 0, 0}, "S", "P"},
      {"all limits at 0: one error is an Error", {1, 0, 0, 0}, "ES", "EP"},
      {"samples 3, limits 1: a realistic drain", {3, 1, 1, 2}, "FSSISSS", "ppppppP"},
      {"samples 3, limits 1: flapping fails", {3, 1, 1, 2}, "FSSFSSS", "pppFFFF"},
  };
  for (const SequenceCase& c : cases) {
    EXPECT_EQ(Verdicts(WithLimits(c.limits), c.phases), c.verdicts)
        << c.situation << " (measurements " << c.phases << ")";
  }
}

TEST(AssessTest, NoMeasurementsIsPendingWhateverTheLimits) {
  for (int samples : {-1, 0, 1, 3})
    for (int limit : {-1, 0, 2})
      EXPECT_EQ(Assess(WithLimits({samples, limit, limit, limit}), GateTally{}),
                GateVerdict::kPending)
          << "samples " << samples << ", limits " << limit;
}

// The verdict computed from the whole history, written independently of Count/Assess.
char ReferenceVerdict(const Limits& l, const std::string& history) {
  int failures = 0, inconclusives = 0, trailing_errors = 0, trailing_successes = 0;
  for (char c : history) {
    failures += c == 'F';
    inconclusives += c == 'I';
  }
  for (auto it = history.rbegin(); it != history.rend() && *it == 'E'; ++it) ++trailing_errors;
  for (auto it = history.rbegin(); it != history.rend() && *it == 'S'; ++it) ++trailing_successes;
  if (l.failure_limit >= 0 && failures > l.failure_limit) return 'F';
  if (l.inconclusive_limit >= 0 && inconclusives > l.inconclusive_limit) return 'F';
  if (l.consecutive_error_limit >= 0 && trailing_errors > l.consecutive_error_limit) return 'E';
  if (trailing_successes >= std::max(l.samples, 1)) return 'P';
  return 'p';
}

TEST(AssessTest, EverySequenceOfSixUnderEveryLimitMatchesTheDefinition) {
  const std::string letters = "SFIE";
  int checked = 0;
  for (int samples : {1, 2, 3})
    for (int fl : {-1, 0, 1, 2})
      for (int il : {-1, 0, 1, 2})
        for (int el : {-1, 0, 1, 2}) {
          const Limits limits{samples, fl, il, el};
          const GateSpec gate = WithLimits(limits);
          for (int code = 0; code < 4096; ++code) {
            std::string history;
            for (int i = 0, c = code; i < 6; ++i, c /= 4) history.push_back(letters[c % 4]);
            std::string got = Verdicts(gate, history);
            for (std::size_t n = 1; n <= history.size(); ++n) {
              char want = ReferenceVerdict(limits, history.substr(0, n));
              ASSERT_EQ(got[n - 1], want)
                  << "after " << history.substr(0, n) << " with samples " << samples
                  << ", failure_limit " << fl << ", inconclusive_limit " << il
                  << ", consecutive_error_limit " << el;
              if (want == 'P') {
                ASSERT_EQ(history[n - 1], 'S') << "Passed only right after a success";
              }
              ++checked;
            }
          }
        }
  EXPECT_EQ(checked, 3 * 4 * 4 * 4 * 4096 * 6);
}

TEST(ExplainTest, SentencesOperatorsRead) {
  const auto explain = [](const GateSpec& gate, const QueryResult& result) {
    return Explain(Measure(gate, "fw1", kQuery, result, {}));
  };
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10), Value(37)),
            "gate drained: cutover_member_connections{ha_cluster=\"edge\",member=\"fw1\"} = 37, "
            "needs < 10");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10), Value(3)),
            "gate drained: " + kQuery + " = 3, needs < 10");
  EXPECT_EQ(explain(Gate(Comparison::kGreaterOrEqual, 0.99), Value(0.5670860670194003)),
            "gate drained: " + kQuery + " = 0.5670860670194003, needs >= 0.99");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10), Value(1e21)),
            "gate drained: " + kQuery + " = 1e+21, needs < 10");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10), Value(-2)),
            "gate drained: " + kQuery + " = -2, needs < 10");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10), Value(kInf)),
            "gate drained: " + kQuery + " = +Inf, needs < 10");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10), Value(-kInf)),
            "gate drained: " + kQuery + " = -Inf, needs < 10");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10), Value(kNaN)),
            "gate drained: " + kQuery +
                " = NaN, needs < 10 (query returned NaN, which no condition can judge)");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10, NoDataPolicy::kFail), NoData()),
            "gate drained: " + kQuery + " returned no data (no_data: fail)");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10, NoDataPolicy::kWait), NoData()),
            "gate drained: " + kQuery + " returned no data (no_data: wait)");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10),
                    Failure("Prometheus answered HTTP 503 timeout: query timed out")),
            "gate drained: " + kQuery +
                " could not be measured: Prometheus answered HTTP 503 timeout: query timed out");
  EXPECT_EQ(explain(Gate(Comparison::kLess, 10), Many(2)),
            "gate drained: " + kQuery +
                " could not be measured: query returned 2 series; a gate reads one number: "
                "aggregate it, e.g. max(...)");
}

TEST(NamesTest, PhasesAndVerdicts) {
  EXPECT_EQ(PhaseName(Phase::kSuccessful), "Successful");
  EXPECT_EQ(PhaseName(Phase::kFailed), "Failed");
  EXPECT_EQ(PhaseName(Phase::kInconclusive), "Inconclusive");
  EXPECT_EQ(PhaseName(Phase::kError), "Error");
  EXPECT_EQ(VerdictName(GateVerdict::kPending), "pending");
  EXPECT_EQ(VerdictName(GateVerdict::kPassed), "passed");
  EXPECT_EQ(VerdictName(GateVerdict::kFailed), "failed");
  EXPECT_EQ(VerdictName(GateVerdict::kError), "error");
}

}  // namespace
}  // namespace cutover
