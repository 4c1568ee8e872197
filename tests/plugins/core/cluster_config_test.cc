#include "plugins/core/cluster_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
  EXPECT_THAT(OnlyError("clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n"
                        "    settings: {weight: lots}\n"),
              HasSubstr("cutover.yml:6: member \"m\".settings.weight: expected a whole number"));
  EXPECT_THAT(OnlyError("clusters:\n- name: c\n  driver: fake\n  members:\n  - name: m\n"
                        "    settings: {interval: 5 minutes}\n"),
              HasSubstr("expected a duration such as 5s"));
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

}  // namespace
}  // namespace cutover
