#include "actions/intake/alertmanager_webhook.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using Document = rapidjson::Document;
using Edit = std::function<void(Document&, Document::AllocatorType&)>;

std::string Fixture(const std::string& name) {
  return testing::ReadFile(std::string(CUTOVER_SOURCE_DIR) + "/tests/actions/intake/fixtures/" +
                           name);
}

std::string Firing() { return Fixture("alertmanager_0.25_firing.json"); }
std::string Resolved() { return Fixture("alertmanager_0.25_resolved.json"); }

// The captured payload with one change applied, re-serialised.
std::string Edited(const std::string& body, const Edit& edit) {
  Document doc;
  doc.Parse(body.data(), body.size());
  EXPECT_FALSE(doc.HasParseError());
  edit(doc, doc.GetAllocator());
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  doc.Accept(writer);
  return std::string(out.GetString(), out.GetSize());
}

rapidjson::Value Str(const std::string& text, Document::AllocatorType& a) {
  return rapidjson::Value(text, a);
}

rapidjson::Value& FirstAlert(Document& doc) { return doc["alerts"][0]; }

std::string ErrorOf(const std::string& body) {
  auto parsed = ParseAlertmanagerWebhook(body);
  if (parsed.ok()) return "(parsed without error)";
  return parsed.error();
}

TEST(AlertmanagerWebhook, ReadsTheCapturedFiringNotificationFromAlertmanager025) {
  auto parsed = ParseAlertmanagerWebhook(Firing());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const AlertmanagerNotification& n = parsed.value();
  EXPECT_EQ(n.version, "4");
  EXPECT_EQ(n.receiver, "upgrade-daemon");
  EXPECT_EQ(n.status, "firing");
  EXPECT_EQ(n.group_key, "{}:{alertname=\"UpgradeStuck\", cluster=\"fw1\"}");
  EXPECT_EQ(n.external_url, "http://vm:19093");
  EXPECT_EQ(n.group_labels, (std::map<std::string, std::string>{{"alertname", "UpgradeStuck"},
                                                                {"cluster", "fw1"}}));
  EXPECT_EQ(n.common_labels.size(), 3u);
  EXPECT_EQ(n.truncated_alerts, 0);
  ASSERT_EQ(n.alerts.size(), 1u);
  const AlertmanagerAlert& a = n.alerts[0];
  EXPECT_EQ(a.status, "firing");
  EXPECT_EQ(a.Label("alertname"), "UpgradeStuck");
  EXPECT_EQ(a.Label("cluster"), "fw1");
  EXPECT_EQ(a.Label("severity"), "warning");
  EXPECT_EQ(a.Label("member"), "") << "absent labels read as empty";
  EXPECT_EQ(a.annotations, (std::map<std::string, std::string>{{"runbook_url", "http://rb"},
                                                               {"summary", "stuck"}}));
  EXPECT_EQ(a.starts_at, "2026-11-21T05:15:53.765129107Z");
  EXPECT_EQ(a.ends_at, "0001-01-01T00:00:00Z");
  EXPECT_EQ(a.generator_url, "http://prom:9090/graph?g0.expr=x");
  EXPECT_EQ(a.fingerprint, "352201fb1e00d0fd");
  EXPECT_EQ(DeliveryKey(a), "352201fb1e00d0fd|2026-11-21T05:15:53.765129107Z|firing");
}

TEST(AlertmanagerWebhook, ReadsTheCapturedResolvedNotification) {
  auto parsed = ParseAlertmanagerWebhook(Resolved());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().status, "resolved");
  ASSERT_EQ(parsed.value().alerts.size(), 1u);
  EXPECT_EQ(parsed.value().alerts[0].status, "resolved");
  EXPECT_EQ(parsed.value().alerts[0].ends_at, "2026-11-21T05:15:56Z");
}

TEST(AlertmanagerWebhook, ResolvingOrRefiringIsANewDeliveryButARepeatIsNot) {
  auto firing = ParseAlertmanagerWebhook(Firing());
  auto repeat = ParseAlertmanagerWebhook(Firing());
  auto resolved = ParseAlertmanagerWebhook(Resolved());
  auto refired = ParseAlertmanagerWebhook(Edited(Firing(), [](Document& d, auto& a) {
    FirstAlert(d)["startsAt"] = Str("2026-11-21T06:00:00Z", a);
  }));
  ASSERT_TRUE(firing.ok() && repeat.ok() && resolved.ok() && refired.ok());
  const std::string key = DeliveryKey(firing.value().alerts[0]);
  EXPECT_EQ(DeliveryKey(repeat.value().alerts[0]), key)
      << "Alertmanager redelivers; the same alert in the same state must dedupe";
  EXPECT_NE(DeliveryKey(resolved.value().alerts[0]), key);
  EXPECT_NE(DeliveryKey(refired.value().alerts[0]), key);
}

TEST(AlertmanagerWebhook, ToleratesFieldsAddedByNewerAlertmanagers) {
  std::string newer = Edited(Firing(), [](Document& d, auto& a) {
    d.AddMember("notification_reason", Str("new_alert", a), a);  // since 0.32
    rapidjson::Value route(rapidjson::kObjectType);
    route.AddMember("receiver", Str("upgrade-daemon", a), a);
    d.AddMember("routeLabels", route, a);  // in 0.34
    d.AddMember("commonAnnotations", Str("not checked", a), a);
    FirstAlert(d).AddMember("silencedBy", rapidjson::Value(rapidjson::kArrayType), a);
  });
  auto parsed = ParseAlertmanagerWebhook(newer);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  auto original = ParseAlertmanagerWebhook(Firing());
  EXPECT_EQ(DeliveryKey(parsed.value().alerts[0]), DeliveryKey(original.value().alerts[0]));
  EXPECT_EQ(parsed.value().receiver, "upgrade-daemon");
}

TEST(AlertmanagerWebhook, OneNotificationCanMixFiringAndResolvedAlerts) {
  Document resolved;
  std::string resolved_body = Resolved();
  resolved.Parse(resolved_body.data(), resolved_body.size());
  std::string mixed = Edited(Firing(), [&](Document& d, auto& a) {
    rapidjson::Value other(resolved["alerts"][0], a);
    other["fingerprint"] = Str("0123456789abcdef", a);
    other["labels"]["cluster"] = Str("fw2", a);
    d["alerts"].PushBack(other, a);
    d["truncatedAlerts"] = 3;
  });
  auto parsed = ParseAlertmanagerWebhook(mixed);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const auto& alerts = parsed.value().alerts;
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].status, "firing");
  EXPECT_EQ(alerts[0].Label("cluster"), "fw1");
  EXPECT_EQ(alerts[1].status, "resolved");
  EXPECT_EQ(alerts[1].Label("cluster"), "fw2");
  EXPECT_EQ(parsed.value().truncated_alerts, 3);
}

TEST(AlertmanagerWebhook, EveryTruncationOfARealPayloadIsAnError) {
  for (const std::string& body : {Firing(), Resolved()}) {
    const std::size_t json_end = body.find_last_of('}') + 1;
    for (std::size_t length = 0; length < json_end; ++length) {
      auto parsed = ParseAlertmanagerWebhook(std::string_view(body).substr(0, length));
      ASSERT_FALSE(parsed.ok()) << "a body cut at byte " << length << " was accepted";
      EXPECT_FALSE(parsed.error().empty()) << length;
    }
  }
}

struct Broken {
  const char* what;
  Edit edit;
  std::string error;
};

TEST(AlertmanagerWebhook, EachRequiredFieldWithTheWrongShapeIsNamedInTheError) {
  const std::vector<Broken> cases = {
      {"old version", [](Document& d, auto& a) { d["version"] = Str("3", a); },
       "version: got \"3\", but cutover speaks webhook version 4 (Alertmanager 0.25+)"},
      {"numeric version", [](Document& d, auto&) { d["version"] = 4; },
       "version: got a number, but cutover speaks webhook version 4 (Alertmanager 0.25+)"},
      {"no version", [](Document& d, auto&) { d.RemoveMember("version"); },
       "version: missing; cutover speaks webhook version 4 (Alertmanager 0.25+)"},
      {"top status", [](Document& d, auto& a) { d["status"] = Str("ok", a); },
       "status: expected \"firing\" or \"resolved\", got \"ok\""},
      {"no top status", [](Document& d, auto&) { d.RemoveMember("status"); },
       "status: missing (expected \"firing\" or \"resolved\")"},
      {"no alerts", [](Document& d, auto&) { d.RemoveMember("alerts"); },
       "alerts: missing (expected an array of alerts)"},
      {"alerts object", [](Document& d, auto&) { d["alerts"].SetObject(); },
       "alerts: expected an array of alerts, got an object"},
      {"alert string", [](Document& d, auto& a) { FirstAlert(d) = Str("UpgradeStuck", a); },
       "alerts[0]: expected an alert object, got the string \"UpgradeStuck\""},
      {"misspelt status", [](Document& d, auto& a) { FirstAlert(d)["status"] = Str("firng", a); },
       "alerts[0].status: expected \"firing\" or \"resolved\", got \"firng\""},
      {"boolean status", [](Document& d, auto&) { FirstAlert(d)["status"] = true; },
       "alerts[0].status: expected \"firing\" or \"resolved\", got a boolean"},
      {"no labels", [](Document& d, auto&) { FirstAlert(d).RemoveMember("labels"); },
       "alerts[0].labels: missing (expected an object of string values with alertname)"},
      {"labels array", [](Document& d, auto&) { FirstAlert(d)["labels"].SetArray(); },
       "alerts[0].labels: expected an object of string values, got an array"},
      {"numeric label", [](Document& d, auto&) { FirstAlert(d)["labels"]["severity"] = 3; },
       "alerts[0].labels.severity: expected a string, got a number"},
      {"null label", [](Document& d, auto&) { FirstAlert(d)["labels"]["cluster"].SetNull(); },
       "alerts[0].labels.cluster: expected a string, got null"},
      {"no alertname",
       [](Document& d, auto&) { FirstAlert(d)["labels"].RemoveMember("alertname"); },
       "alerts[0].labels.alertname: missing (every Prometheus alert has a non-empty one)"},
      {"no startsAt", [](Document& d, auto&) { FirstAlert(d).RemoveMember("startsAt"); },
       "alerts[0].startsAt: missing (expected a non-empty string)"},
      {"numeric startsAt", [](Document& d, auto&) { FirstAlert(d)["startsAt"] = 1763702153; },
       "alerts[0].startsAt: expected a non-empty string, got a number"},
      {"no fingerprint", [](Document& d, auto&) { FirstAlert(d).RemoveMember("fingerprint"); },
       "alerts[0].fingerprint: missing (expected a non-empty string)"},
      {"empty fingerprint", [](Document& d, auto& a) { FirstAlert(d)["fingerprint"] = Str("", a); },
       "alerts[0].fingerprint: expected a non-empty string, got the string \"\""},
      {"annotations string",
       [](Document& d, auto& a) { FirstAlert(d)["annotations"] = Str("stuck", a); },
       "alerts[0].annotations: expected an object of string values, got the string \"stuck\""},
      {"numeric annotation",
       [](Document& d, auto&) { FirstAlert(d)["annotations"]["summary"] = 1.5; },
       "alerts[0].annotations.summary: expected a string, got a number"},
      {"endsAt object", [](Document& d, auto&) { FirstAlert(d)["endsAt"].SetObject(); },
       "alerts[0].endsAt: expected a string, got an object"},
      {"generatorURL number", [](Document& d, auto&) { FirstAlert(d)["generatorURL"] = 1; },
       "alerts[0].generatorURL: expected a string, got a number"},
      {"groupKey number", [](Document& d, auto&) { d["groupKey"] = 7; },
       "groupKey: expected a string, got a number"},
      {"receiver array", [](Document& d, auto&) { d["receiver"].SetArray(); },
       "receiver: expected a string, got an array"},
      {"externalURL bool", [](Document& d, auto&) { d["externalURL"] = false; },
       "externalURL: expected a string, got a boolean"},
      {"groupLabels array", [](Document& d, auto&) { d["groupLabels"].SetArray(); },
       "groupLabels: expected an object of string values, got an array"},
      {"commonLabels number value", [](Document& d, auto&) { d["commonLabels"]["cluster"] = 1; },
       "commonLabels.cluster: expected a string, got a number"},
      {"truncatedAlerts string", [](Document& d, auto& a) { d["truncatedAlerts"] = Str("0", a); },
       "truncatedAlerts: expected a non-negative integer, got the string \"0\""},
      {"truncatedAlerts negative", [](Document& d, auto&) { d["truncatedAlerts"] = -1; },
       "truncatedAlerts: expected a non-negative integer, got a number"},
      {"truncatedAlerts fraction", [](Document& d, auto&) { d["truncatedAlerts"] = 0.5; },
       "truncatedAlerts: expected a non-negative integer, got a number"},
  };
  for (const Broken& c : cases) {
    EXPECT_EQ(ErrorOf(Edited(Firing(), c.edit)), c.error) << c.what;
  }
}

TEST(AlertmanagerWebhook, TheSecondAlertIsCheckedAsStrictlyAsTheFirst) {
  std::string body = Edited(Firing(), [](Document& d, auto& a) {
    rapidjson::Value copy(FirstAlert(d), a);
    copy["labels"].RemoveMember("alertname");
    d["alerts"].PushBack(copy, a);
  });
  EXPECT_EQ(ErrorOf(body),
            "alerts[1].labels.alertname: missing (every Prometheus alert has a non-empty one)");
}

TEST(AlertmanagerWebhook, BodiesThatAreNotAnObjectAreRefusedClearly) {
  EXPECT_EQ(ErrorOf(""),
            "empty body: expected an Alertmanager webhook JSON object (cutover speaks webhook "
            "version 4 (Alertmanager 0.25+))");
  EXPECT_EQ(ErrorOf(" \r\n"), ErrorOf(""));
  EXPECT_EQ(ErrorOf("[]"), "top level: expected a JSON object, got an array");
  EXPECT_EQ(ErrorOf("\"4\""), "top level: expected a JSON object, got the string \"4\"");
  EXPECT_EQ(ErrorOf("null"), "top level: expected a JSON object, got null");
  EXPECT_EQ(ErrorOf("{\"version\":\"4\",}"),
            "invalid JSON at byte offset 15: Missing a name for object member.");
  EXPECT_EQ(ErrorOf(Firing() + "{}"),
            "invalid JSON at byte offset 707: The document root must not be followed by other "
            "values.");
  EXPECT_EQ(ErrorOf("version=4&status=firing"), "invalid JSON at byte offset 0: Invalid value.");
}

TEST(AlertmanagerWebhook, ARepeatedKeyIsRefusedRatherThanGuessed) {
  std::string twice = Firing();
  twice.replace(twice.find("\"status\":\"firing\",\"labels\""), 17,
                "\"status\":\"resolved\",\"status\":\"firing\"");
  EXPECT_EQ(ErrorOf(twice), "alerts[0].status: appears more than once");

  std::string label_twice = Firing();
  label_twice.replace(label_twice.find("\"cluster\":\"fw1\""), 15,
                      "\"cluster\":\"fw1\",\"cluster\":\"fw2\"");
  EXPECT_EQ(ErrorOf(label_twice), "alerts[0].labels.cluster: appears more than once");
}

TEST(AlertmanagerWebhook, NullOptionalFieldsCountAsAbsent) {
  auto parsed = ParseAlertmanagerWebhook(Edited(Firing(), [](Document& d, auto&) {
    FirstAlert(d)["annotations"].SetNull();
    FirstAlert(d)["endsAt"].SetNull();
    d["groupLabels"].SetNull();
    d["truncatedAlerts"].SetNull();
  }));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_TRUE(parsed.value().alerts[0].annotations.empty());
  EXPECT_EQ(parsed.value().alerts[0].ends_at, "");
  EXPECT_TRUE(parsed.value().group_labels.empty());
}

TEST(AlertmanagerWebhook, ShellMetacharactersInLabelsStayDataByteForByte) {
  const std::string hostile = "$(touch /tmp/x); `id` | rm -rf / # 'quoted' \"double\" \\ \n\t*?";
  auto parsed = ParseAlertmanagerWebhook(Edited(Firing(), [&](Document& d, auto& a) {
    FirstAlert(d)["labels"]["cluster"] = Str(hostile, a);
    FirstAlert(d)["labels"].AddMember(Str("$(reboot)", a), Str(hostile, a), a);
  }));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().alerts[0].Label("cluster"), hostile);
  EXPECT_EQ(parsed.value().alerts[0].Label("$(reboot)"), hostile);
}

TEST(AlertmanagerWebhook, HostileValuesInErrorsAreEscapedAndShortened) {
  const std::string forged = "firing\nlevel=info msg=\"forged log line\"" + std::string(200, 'x');
  std::string error = ErrorOf(
      Edited(Firing(), [&](Document& d, auto& a) { FirstAlert(d)["status"] = Str(forged, a); }));
  EXPECT_EQ(error.find('\n'), std::string::npos) << "a newline would forge a log line: " << error;
  EXPECT_NE(error.find("firing\\nlevel=info msg=\\\"forged"), std::string::npos) << error;
  EXPECT_NE(error.find("(" + std::to_string(forged.size()) + " bytes)"), std::string::npos)
      << error;
  EXPECT_LT(error.size(), 200u) << error;

  std::string odd_name = ErrorOf(Edited(Firing(), [](Document& d, auto& a) {
    FirstAlert(d)["labels"].AddMember(Str("a.b c", a), rapidjson::Value(1), a);
  }));
  EXPECT_EQ(odd_name, "alerts[0].labels[\"a.b c\"]: expected a string, got a number");
}

TEST(AlertmanagerWebhook, UnicodeLabelsArriveAsUtf8AndInvalidUtf8IsRefused) {
  std::string body = Firing();
  body.replace(body.find("\"fw1\""), 5, "\"Zürich-防火墙-\\u00fc\\ud83d\\udd25\"");
  auto parsed = ParseAlertmanagerWebhook(body);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().alerts[0].Label("cluster"), "Zürich-防火墙-ü\xF0\x9F\x94\xA5");

  std::string invalid = Firing();
  invalid.replace(invalid.find("\"fw1\""), 5, "\"fw\xff\xfe\"");
  EXPECT_NE(ErrorOf(invalid).find("invalid UTF-8 in \"alerts[0].labels.cluster\" at byte offset"),
            std::string::npos)
      << ErrorOf(invalid);
}

TEST(AlertmanagerWebhook, LargePayloadsParseWhole) {
  const std::string huge(4 << 20, 'v');
  std::string body = Edited(Firing(), [&](Document& d, auto& a) {
    for (int i = 1; i < 5000; ++i) {
      rapidjson::Value copy(FirstAlert(d), a);
      copy["fingerprint"] = Str("fp" + std::to_string(i), a);
      d["alerts"].PushBack(copy, a);
    }
    FirstAlert(d)["labels"]["cluster"] = Str(huge, a);
  });
  auto parsed = ParseAlertmanagerWebhook(body);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed.value().alerts.size(), 5000u);
  EXPECT_EQ(parsed.value().alerts[0].Label("cluster"), huge);
  EXPECT_EQ(parsed.value().alerts[4999].fingerprint, "fp4999");
}

// Nesting is bounded like every JSON cutover reads (common/json_reader.h), even in a field
// the intake ignores: nothing cutover reads is nested deeper than a few levels.
TEST(AlertmanagerWebhook, DeepNestingNeitherCrashesNorSlipsThrough) {
  const int depth = 200000;
  const std::string limit = "JSON nested deeper than 64 levels";
  std::string deep = std::string(depth, '[') + std::string(depth, ']');
  std::string in_unknown_field = Firing();
  in_unknown_field.insert(1, "\"extra\":" + deep + ",");
  EXPECT_NE(ErrorOf(in_unknown_field).find(limit), std::string::npos) << ErrorOf(in_unknown_field);
  std::string shallow_extra = Firing();
  shallow_extra.insert(1, "\"extra\":" + std::string(60, '[') + std::string(60, ']') + ",");
  EXPECT_TRUE(ParseAlertmanagerWebhook(shallow_extra).ok())
      << ErrorOf(shallow_extra) << " (unknown fields are ignored)";

  std::string as_label = Firing();
  as_label.replace(as_label.find("\"fw1\""), 5, "[[]]");
  EXPECT_EQ(ErrorOf(as_label), "alerts[0].labels.cluster: expected a string, got an array");
  as_label.replace(as_label.find("[[]]"), 4, deep);
  EXPECT_NE(ErrorOf(as_label).find(limit), std::string::npos) << ErrorOf(as_label);

  std::string unclosed;
  for (int i = 0; i < depth; ++i) unclosed += "{\"a\":";
  EXPECT_NE(ErrorOf(unclosed).find(limit), std::string::npos) << ErrorOf(unclosed);
  std::string unclosed_arrays(depth, '[');
  EXPECT_NE(ErrorOf(unclosed_arrays).find(limit), std::string::npos);
  EXPECT_NE(ErrorOf("{\"a\":" + std::string(10, '[')).find("invalid JSON"), std::string::npos);
}

}  // namespace
}  // namespace cutover
