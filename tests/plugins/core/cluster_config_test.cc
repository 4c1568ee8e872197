#include "plugins/core/cluster_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/yaml_reader.h"
#include "plugins/builtin_drivers.h"
#include "tests/support/fake_driver.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

class ClusterConfigTest : public ::testing::Test {
 protected:
  ClusterConfigTest() {
    registry_.Add(testing::FakeDriverDescriptor(
        [](const std::string&) { return std::make_shared<testing::FakeMemberState>(); }));
  }
  ConfigLoadResult Load(const std::string& yaml) {
    return LoadConfigString(yaml, "cutover.yml", registry_);
  }
  // The single error of a load, as the operator reads it.
  std::string OnlyError(const std::string& yaml) {
    auto result = Load(yaml);
    EXPECT_EQ(result.errors.size(), 1u) << result.ErrorText();
    return result.errors.empty() ? "" : result.errors[0].ToString();
  }
  DriverRegistry registry_;
  testing::TempDir dir_;
};

TEST_F(ClusterConfigTest, LoadsClustersMembersDefaultsAndOverrides) {
  auto key = dir_.Write("key", "secret");
  auto result = Load(R"(
global:
  probe_timeout: 3s
  probe_concurrency: 4
credentials:
  lab:
    user: root
    identity_file: )" +
                     key + R"(
    known_hosts_file: /tmp/known_hosts
clusters:
  - name: edge-fw
    driver: fake
    credentials: lab
    settings:
      weight: 5
      interfaces: [eth1, eth2]
    members:
      - name: fw1
        address: 10.0.0.1
      - name: fw2
        address: 10.0.0.2:2222
        settings:
          weight: 7
          interval: 1m30s
)");
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  const auto& config = result.config;
  EXPECT_EQ(config.global.probe_timeout, std::chrono::seconds(3));
  EXPECT_EQ(config.global.probe_concurrency, 4);
  ASSERT_EQ(config.clusters.size(), 1u);
  const auto& fw1 = config.clusters[0].members[0];
  const auto& fw2 = config.clusters[0].members[1];
  EXPECT_EQ(fw1.cluster, "edge-fw");
  EXPECT_EQ(fw1.driver, "fake");
  EXPECT_EQ(fw1.credentials.user, "root");
  EXPECT_EQ(fw1.settings.Integer("weight"), 5);
  EXPECT_EQ(fw2.settings.Integer("weight"), 7);
  EXPECT_EQ(fw2.settings.DurationValue("interval"), std::chrono::seconds(90));
  EXPECT_EQ(fw1.settings.DurationValue("interval"), std::chrono::seconds(1));  // default
  EXPECT_THAT(fw1.settings.StringList("interfaces"), ::testing::ElementsAre("eth1", "eth2"));
  EXPECT_EQ(fw2.address, "10.0.0.2:2222");
  EXPECT_EQ(fw2.where, "cutover.yml:20");
}

TEST_F(ClusterConfigTest, UnknownSettingNamesTheDriverAndItsKnownKeys) {
  EXPECT_EQ(OnlyError(R"(clusters:
  - name: c
    driver: fake
    members:
      - name: m
        settings:
          wieght: 3
)"),
            "cutover.yml:7: member \"m\": driver 'fake' has no setting 'wieght' (known: label, "
            "weight, interval, interfaces, key_file)");
}

TEST_F(ClusterConfigTest, WrongTypeSaysWhatWasExpected) {
  EXPECT_EQ(OnlyError("clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n"
                      "    settings: {weight: lots}\n"),
            "cutover.yml:6: member \"m\".settings.weight: 'lots' is not a whole number; write a "
            "whole number such as 10 or -1 (a number)");
  EXPECT_EQ(OnlyError("clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n"
                      "    settings: {interval: 5 minutes}\n"),
            "cutover.yml:6: member \"m\".settings.interval: '5 minutes' is not a duration (spaces "
            "are refused); write it like Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms "
            "or 7d (a duration)");
  EXPECT_EQ(OnlyError("clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n"
                      "    settings: {interfaces: eth1}\n"),
            "cutover.yml:6: member \"m\".settings.interfaces must be a list, not the single value "
            "'eth1'; write ['eth1'] for a list of one (a list)");
}

// --- One set of rules for every value: cutover.yml reads like a plan --------------------

// A member of driver "fake" whose settings are `settings` (one flow mapping, on line 6).
std::string MemberWithSettings(const std::string& settings) {
  return "clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n    settings: " +
         settings + "\n";
}

// The text of `value` as written in a YAML file.
std::string ScalarOf(const std::string& value) {
  YamlDocument document = ParseYaml("v: " + value);
  EXPECT_TRUE(document.syntax_ok && document.root["v"].IsScalar()) << value;
  return document.syntax_ok ? document.root["v"].Scalar() : "";
}

// What the one reader says about `text` for `key`, at `line`: the loader adds only the
// file and line (and the setting's help).
std::string AsTheReaderSays(int line, const std::string& message) {
  return "cutover.yml:" + std::to_string(line) + ": " + message;
}

// Each of these was a number to one of the loaders before (the settings' istream read
// "+5" and " 5", yaml-cpp would read 0x10 and 010), or a typo an operator should hear of.
TEST_F(ClusterConfigTest, EveryBadIntegerFormIsRefusedByTheSameRuleAsInPlans) {
  for (const char* bad : {"1.0", "2.5", "1e3", "0x10", "0o17", "010", "' 5'", "'5 '", "5s", "10MB",
                          "''", "'-'", "+-5", "1_000", "lots", "9223372036854775808", "'{{n}}'"}) {
    std::string text = ScalarOf(bad);
    EXPECT_EQ(OnlyError(MemberWithSettings(std::string("{weight: ") + bad + "}")),
              AsTheReaderSays(6, ParseYamlInteger(text, "member \"m\".settings.weight").error() +
                                     " (a number)"))
        << "weight: " << bad;
    EXPECT_EQ(
        OnlyError(std::string("global:\n  probe_concurrency: ") + bad +
                  "\nclusters:\n- name: c\n  driver: fake\n  members: [{name: m}]\n"),
        AsTheReaderSays(2, ParseYamlInteger(text, "global.probe_concurrency", 1, 1024).error()))
        << "probe_concurrency: " << bad;
  }
}

TEST_F(ClusterConfigTest, IntegersAreReadWhole) {
  auto result = Load(MemberWithSettings("{weight: -3}") +
                     "  - name: n\n    settings: {weight: \"+9223372036854775807\"}\n");
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  EXPECT_EQ(result.config.clusters[0].members[0].settings.Integer("weight"), -3);
  EXPECT_EQ(result.config.clusters[0].members[1].settings.Integer("weight"), kNoMaximum);
}

TEST_F(ClusterConfigTest, ProbeConcurrencyIsFrom1To1024) {
  const std::string rest = "\nclusters:\n- name: c\n  driver: fake\n  members: [{name: m}]\n";
  EXPECT_EQ(OnlyError("global:\n  probe_concurrency: 0" + rest),
            "cutover.yml:2: global.probe_concurrency: '0' is out of range; write a whole number "
            "from 1 to 1024");
  EXPECT_EQ(OnlyError("global:\n  probe_concurrency: 1025" + rest),
            "cutover.yml:2: global.probe_concurrency: '1025' is out of range; write a whole "
            "number from 1 to 1024");
  EXPECT_EQ(OnlyError("global:\n  probe_concurrency: 16.0" + rest),
            "cutover.yml:2: global.probe_concurrency: '16.0' is not a whole number (decimals and "
            "exponents are refused); write a whole number from 1 to 1024");
  auto result = Load("global:\n  probe_concurrency: \"1024\"" + rest);
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  EXPECT_EQ(result.config.global.probe_concurrency, 1024);
}

TEST_F(ClusterConfigTest, EveryBadDurationFormIsRefusedByTheSameRuleAsInPlans) {
  for (const char* bad : {"30", "5 s", "-5s", "1.5s", "1s1m", "5sec", "''", "PT5S"}) {
    std::string text = ScalarOf(bad);
    EXPECT_EQ(OnlyError(MemberWithSettings(std::string("{interval: ") + bad + "}")),
              AsTheReaderSays(6, ParseYamlDuration(text, "member \"m\".settings.interval").error() +
                                     " (a duration)"))
        << "interval: " << bad;
    EXPECT_EQ(
        OnlyError(std::string("global:\n  probe_timeout: ") + bad +
                  "\nclusters:\n- name: c\n  driver: fake\n  members: [{name: m}]\n"),
        AsTheReaderSays(
            2,
            ParseYamlDuration(text, "global.probe_timeout", DurationMinimum::kAboveZero).error()))
        << "probe_timeout: " << bad;
  }
}

TEST_F(ClusterConfigTest, AProbeTimeoutOfZeroIsRefused) {
  EXPECT_EQ(OnlyError("global: {probe_timeout: 0s}\n"
                      "clusters:\n- name: c\n  driver: fake\n  members: [{name: m}]\n"),
            "cutover.yml:1: global.probe_timeout: '0s' is not a duration above zero; write it "
            "like Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms or 7d");
}

// A driver with a boolean setting, for the one rule of booleans.
class BooleanSettingTest : public ClusterConfigTest {
 protected:
  BooleanSettingTest() {
    DriverDescriptor d = testing::FakeDriverDescriptor(
        [](const std::string&) { return std::make_shared<testing::FakeMemberState>(); });
    d.name = "fake-verbose";
    d.config.push_back({"verbose", ValueType::kBoolean, "false", false, false, "log every probe"});
    registry_.Add(std::move(d));
  }
  std::string Member(const std::string& value) {
    return "clusters:\n- name: c\n  driver: fake-verbose\n  members:\n  - name: m\n"
           "    settings:\n      verbose: " +
           value + "\n";
  }
};

TEST_F(BooleanSettingTest, TrueAndFalseAreTheOnlyBooleans) {
  auto result = Load(Member("true"));
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  EXPECT_TRUE(result.config.clusters[0].members[0].settings.Boolean("verbose"));
  result = Load("clusters:\n- name: c\n  driver: fake-verbose\n  members: [{name: m}]\n");
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  EXPECT_FALSE(result.config.clusters[0].members[0].settings.Boolean("verbose")) << "the default";
  for (const char* bad : {"yes", "no", "on", "off", "y", "N", "True", "FALSE", "1", "0", "''"}) {
    EXPECT_EQ(
        OnlyError(Member(bad)),
        AsTheReaderSays(7, ParseYamlBool(ScalarOf(bad), "member \"m\".settings.verbose").error() +
                               " (log every probe)"))
        << "verbose: " << bad;
  }
  EXPECT_EQ(OnlyError(Member("yes")),
            "cutover.yml:7: member \"m\".settings.verbose: 'yes' is not true or false; write true "
            "or false (yes/no, on/off and y/n are refused: YAML 1.1 readers take them as "
            "booleans, YAML 1.2 readers as text) (log every probe)");
}

// yaml-cpp marks an empty value at the next token; the error belongs on the key's line.
TEST_F(ClusterConfigTest, AnEmptyValueIsReportedAtItsKey) {
  auto result = Load(
      "global:\n  probe_timeout:\n  probe_concurrency:\n"
      "clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n    address:\n"
      "    settings:\n      weight:\n      interval:\n");
  EXPECT_EQ(result.ErrorText(),
            "cutover.yml:2: global.probe_timeout is empty; write a duration such as 30s, 10m, "
            "1h30m or 500ms\n"
            "cutover.yml:3: global.probe_concurrency is empty; write a whole number from 1 to "
            "1024\n"
            "cutover.yml:9: member \"m\".address is empty; write a value, or \"\" for an empty "
            "text\n"
            "cutover.yml:11: member \"m\".settings.weight is empty; write a whole number such as "
            "10 or -1 (a number)\n"
            "cutover.yml:12: member \"m\".settings.interval is empty; write a duration such as "
            "30s, 10m, 1h30m or 500ms (a duration)\n");
}

TEST_F(ClusterConfigTest, ClusterSettingsAreReadByTheSameRulesAtTheirOwnLines) {
  auto result = Load(
      "clusters:\n- name: c\n  driver: fake\n  settings:\n    weight: 0x10\n"
      "  members:\n  - name: m\n    settings:\n      interval: 90\n");
  EXPECT_EQ(result.ErrorText(),
            "cutover.yml:5: member \"m\".settings.weight: '0x10' is not a whole number "
            "(hexadecimal, octal and binary are refused; write it in decimal); write a whole "
            "number such as 10 or -1 (a number)\n"
            "cutover.yml:9: member \"m\".settings.interval: '90' is not a duration (it has no "
            "unit: 90s is 90 seconds); write it like Prometheus, largest unit first: 30s, 10m, "
            "1h30m, 500ms or 7d (a duration)\n");
}

TEST(ClusterConfigRequired, AMissingSettingIsReportedAtTheMember) {
  DriverRegistry registry;
  RegisterBuiltinDrivers(registry);
  auto result = LoadConfigString(
      "clusters:\n- name: edge\n  driver: exec\n  members:\n  - name: fw1\n"
      "  - name: fw2\n    settings:\n      timeout: 3s\n",
      "cutover.yml", registry);
  EXPECT_EQ(result.ErrorText(),
            "cutover.yml:5: member \"fw1\": driver 'exec' needs setting 'program' (absolute path "
            "of the program that speaks the exec protocol)\n"
            "cutover.yml:7: member \"fw2\": driver 'exec' needs setting 'program' (absolute path "
            "of the program that speaks the exec protocol)\n");
}

// A default is read by the same rules as the file; one that fails them is the driver's bug.
TEST(ClusterConfigDefaults, ADriverDefaultThatBreaksTheRulesIsReportedAtTheMember) {
  DriverRegistry registry;
  DriverDescriptor d = testing::FakeDriverDescriptor(
      [](const std::string&) { return std::make_shared<testing::FakeMemberState>(); });
  for (ConfigKey& key : d.config)
    if (key.name == "weight") key.default_value = "1.0";
  registry.Add(std::move(d));
  auto result = LoadConfigString("clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n",
                                 "cutover.yml", registry);
  EXPECT_EQ(result.ErrorText(),
            "cutover.yml:5: member \"m\": driver 'fake' has a bad default: settings.weight: '1.0' "
            "is not a whole number (decimals and exponents are refused); write a whole number "
            "such as 10 or -1 (a number)\n");
}

// Every built-in driver's defaults follow the rules (a bad one would fail every member).
TEST(ClusterConfigDefaults, BuiltinDefaultsFollowTheRules) {
  DriverRegistry registry;
  RegisterBuiltinDrivers(registry);
  for (const DriverDescriptor& d : registry.All()) {
    for (const ConfigKey& key : d.config) {
      if (key.default_value.empty()) continue;
      std::string where = d.name + "." + key.name;
      switch (key.type) {
        case ValueType::kInteger:
          EXPECT_TRUE(ParseYamlInteger(key.default_value, where).ok()) << where;
          break;
        case ValueType::kBoolean:
          EXPECT_TRUE(ParseYamlBool(key.default_value, where).ok()) << where;
          break;
        case ValueType::kDuration:
          EXPECT_TRUE(ParseYamlDuration(key.default_value, where).ok()) << where;
          break;
        case ValueType::kStringList:
          EXPECT_TRUE(ReadYamlStringList(ParseYaml(key.default_value).root, where).ok()) << where;
          break;
        case ValueType::kString:
          break;
      }
    }
  }
}

// Errors of every kind carry the file and a line, so an operator can go straight there.
TEST_F(ClusterConfigTest, EveryErrorHasALine) {
  auto result = Load(
      "global: {probe_timeout: 5, probe_concurrency: many, extra: 1}\n"
      "credentials:\n  lab: {user: [a], password: x}\n  bad: nope\n"
      "clusters:\n"
      "- name: c\n  driver: fake\n  credentials: lab\n  settings: nope\n  members:\n"
      "  - name: m\n    address: [a]\n    settings: {weight: 1.5, interval: 1, interfaces: x, "
      "nope: 1}\n"
      "  - name: m\n"
      "  - name: 'bad name'\n"
      "  - [list]\n"
      "- name: c\n  members: [{name: z, driver: nope}]\n"
      "- name: d\n  members:\n"
      "- name: e\n  driver: fake\n  members:\n  - name: q\n    credentials: none\n"
      "- just text\n");
  ASSERT_FALSE(result.ok());
  EXPECT_GE(result.errors.size(), 15u) << result.ErrorText();
  for (const ConfigError& e : result.errors) EXPECT_GT(e.line, 0) << e.ToString();
}
TEST_F(ClusterConfigTest, UnknownDriverListsTheKnownOnes) {
  EXPECT_THAT(OnlyError("clusters:\n- name: c\n  members:\n  - name: m\n    driver: pfsense\n"),
              HasSubstr("cutover.yml:5: member \"m\": unknown driver 'pfsense' (known: fake)"));
}

TEST_F(ClusterConfigTest, SecretsAreOnlyFileReferences) {
  EXPECT_THAT(OnlyError("credentials:\n  lab:\n    user: root\n    password: hunter2\n"
                        "clusters:\n- name: c\n  driver: fake\n  members: [{name: m}]\n"),
              HasSubstr("cutover.yml:4: credentials \"lab\": secrets are given only by file "
                        "reference"));
  EXPECT_THAT(OnlyError("clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n"
                        "    settings: {key_file: hunter2}\n"),
              HasSubstr("secrets are given only by file reference and 'hunter2' is not a "
                        "readable file"));
}

TEST_F(ClusterConfigTest, NamesMustBeSafeLabelValues) {
  EXPECT_THAT(OnlyError("clusters:\n- name: 'c\"} or vector(1)'\n  driver: fake\n"
                        "  members: [{name: m}]\n"),
              HasSubstr("cutover.yml:2: cluster needs a 'name' of 1 to 64 characters"));
}

TEST_F(ClusterConfigTest, DuplicatesAndMissingPiecesAreAllReported) {
  auto result = Load(R"(clusters:
  - name: c
    driver: fake
    members:
      - name: m
      - name: m
  - name: c
    driver: fake
    members: []
  - name: d
    members: [{name: x, credentials: nope}]
)");
  EXPECT_EQ(result.errors.size(), 5u) << result.ErrorText();
  EXPECT_THAT(result.ErrorText(),
              HasSubstr("cutover.yml:6: cluster \"c\": member \"m\" is listed twice"));
  EXPECT_THAT(result.ErrorText(),
              HasSubstr("cutover.yml:9: cluster \"c\": 'members' must be a non-empty list"));
  EXPECT_THAT(result.ErrorText(), HasSubstr("no driver; set 'driver:'"));
  EXPECT_THAT(result.ErrorText(), HasSubstr("credentials \"nope\" are not defined"));
  EXPECT_TRUE(result.config.clusters.empty()) << "a config with errors must not be usable";
}

TEST_F(ClusterConfigTest, BrokenYamlGivesTheLine) {
  auto result = Load("clusters:\n  - name: c\n   members: [\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.errors[0].ToString(), HasSubstr("cutover.yml:3: not valid YAML"));
}

TEST_F(ClusterConfigTest, UnknownTopLevelKeyIsNamed) {
  EXPECT_THAT(
      OnlyError("cluster: []\nclusters:\n- name: c\n  driver: fake\n  members: [{name: m}]\n"),
      HasSubstr("cutover.yml:1: top level: unknown key 'cluster' (known keys: global, "
                "credentials, clusters)"));
}

TEST_F(ClusterConfigTest, MissingFileSaysWhichFlag) {
  auto result = LoadConfigFile("/nonexistent/cutover.yml", registry_);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.ErrorText(),
              HasSubstr("/nonexistent/cutover.yml: cannot read the file; check --config.file"));
}

// yaml-cpp keeps every repeated key and the loader read them inconsistently: a lookup kept
// the first driver:, the settings loop the last program: (so /bin/false ran), and the
// second clusters: list vanished. A key given twice is an error, wherever it is.
TEST_F(ClusterConfigTest, ARepeatedDriverIsRefused) {
  EXPECT_EQ(OnlyError("clusters:\n- name: c\n  driver: fake\n  driver: exec\n"
                      "  members: [{name: m}]\n"),
            "cutover.yml:4: key 'driver' is given twice (first on line 3); keep one (YAML "
            "readers disagree on which one counts)");
}

TEST(ClusterConfigDuplicates, ARepeatedProgramIsRefused) {
  DriverRegistry registry;
  RegisterBuiltinDrivers(registry);
  auto result = LoadConfigString(
      "clusters:\n- name: edge\n  driver: exec\n  members:\n  - name: fw1\n"
      "    settings:\n      program: /bin/true\n      program: /bin/false\n",
      "cutover.yml", registry);
  ASSERT_EQ(result.errors.size(), 1u) << result.ErrorText();
  EXPECT_EQ(result.errors[0].ToString(),
            "cutover.yml:8: key 'program' is given twice (first on line 7); keep one (YAML "
            "readers disagree on which one counts)");
  EXPECT_TRUE(result.config.clusters.empty()) << "neither program may run";
}

TEST_F(ClusterConfigTest, ASecondClustersListIsRefused) {
  EXPECT_EQ(OnlyError("clusters:\n- name: a\n  driver: fake\n  members: [{name: m}]\n"
                      "clusters:\n- name: b\n  driver: fake\n  members: [{name: m}]\n"),
            "cutover.yml:5: key 'clusters' is given twice (first on line 1); keep one (YAML "
            "readers disagree on which one counts)");
}

TEST_F(ClusterConfigTest, RepeatedKeysAreFoundAtAnyDepth) {
  auto result = Load(
      "credentials:\n  lab: {user: a, user: b}\n  lab: {user: c}\n"
      "clusters:\n- name: c\n  driver: fake\n  settings: {label: x, label: y}\n"
      "  members: [{name: m, name: n}]\n");
  EXPECT_THAT(result.ErrorText(), HasSubstr("cutover.yml:2: key 'user' is given twice"));
  EXPECT_THAT(result.ErrorText(), HasSubstr("cutover.yml:3: key 'lab' is given twice"));
  EXPECT_THAT(result.ErrorText(), HasSubstr("cutover.yml:7: key 'label' is given twice"));
  EXPECT_THAT(result.ErrorText(), HasSubstr("cutover.yml:8: key 'name' is given twice"));
}

TEST_F(ClusterConfigTest, AnEndlessFileIsRefusedNotReadToTheEnd) {
  auto result = LoadConfigFile("/dev/zero", registry_);
  ASSERT_EQ(result.errors.size(), 1u) << result.ErrorText();
  EXPECT_THAT(result.ErrorText(), HasSubstr("/dev/zero: larger than 16777216 bytes"));
}

// The example operators copy from must load with the real drivers.
TEST(ShippedExample, ExamplesCutoverYmlIsValid) {
  testing::TempDir dir;
  std::string key = dir.Write("id_ed25519", "key");
  std::string yaml = testing::ReadFile(std::string(CUTOVER_SOURCE_DIR) + "/examples/cutover.yml");
  ASSERT_FALSE(yaml.empty());
  for (std::size_t at; (at = yaml.find("/etc/cutover/id_ed25519")) != std::string::npos;)
    yaml.replace(at, std::string("/etc/cutover/id_ed25519").size(), key);
  DriverRegistry registry;
  RegisterBuiltinDrivers(registry);
  auto result = LoadConfigString(yaml, "examples/cutover.yml", registry);
  EXPECT_TRUE(result.ok()) << result.ErrorText();
  EXPECT_EQ(result.config.clusters.size(), 4u);
}

TEST_F(ClusterConfigTest, AnUnreadableKeyStopsADaemonButNotAnOfflinePlanCheck) {
  const std::string yaml =
      "credentials:\n  ssh:\n    user: root\n    identity_file: /nonexistent/id_ed25519\n"
      "clusters:\n  - name: edge\n    driver: fake\n    members: [{name: fw1}]\n";
  EXPECT_EQ(OnlyError(yaml),
            "cutover.yml:4: credentials \"ssh\".identity_file: cannot read "
            "'/nonexistent/id_ed25519'; check the path and that cutover may read it");
  ConfigLoadResult offline =
      LoadConfigString(yaml, "cutover.yml", registry_, {.check_credential_files = false});
  EXPECT_TRUE(offline.ok()) << offline.ErrorText();
  ASSERT_EQ(offline.config.clusters.size(), 1u);
  EXPECT_EQ(offline.config.credentials.at("ssh").identity_file, "/nonexistent/id_ed25519");
  // Everything else is still checked.
  EXPECT_FALSE(LoadConfigString(yaml + "typo: 1\n", "cutover.yml", registry_,
                                {.check_credential_files = false})
                   .ok());
}

}  // namespace
}  // namespace cutover
