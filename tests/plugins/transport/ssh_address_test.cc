#include <gtest/gtest.h>

#include "plugins/transport/ssh_transport.h"

namespace cutover {
namespace {

SshOptions Parsed(const std::string& address) {
  SshOptions options;
  EXPECT_TRUE(ParseSshAddress(address, &options)) << address;
  return options;
}

TEST(ParseSshAddress, HostAloneKeepsTheDefaultPort) {
  SshOptions options = Parsed("fw1.example.net");
  EXPECT_EQ(options.host, "fw1.example.net");
  EXPECT_EQ(options.port, 22);
}

TEST(ParseSshAddress, HostAndPort) {
  SshOptions options = Parsed("192.0.2.10:2222");
  EXPECT_EQ(options.host, "192.0.2.10");
  EXPECT_EQ(options.port, 2222);
}

TEST(ParseSshAddress, BracketedIpv6WithAndWithoutPort) {
  SshOptions with_port = Parsed("[2001:db8::1]:2222");
  EXPECT_EQ(with_port.host, "2001:db8::1");
  EXPECT_EQ(with_port.port, 2222);
  SshOptions without = Parsed("[2001:db8::1]");
  EXPECT_EQ(without.host, "2001:db8::1");
  EXPECT_EQ(without.port, 22);
}

TEST(ParseSshAddress, BareIpv6IsAHostWithoutPort) {
  SshOptions options = Parsed("2001:db8::1");
  EXPECT_EQ(options.host, "2001:db8::1");
  EXPECT_EQ(options.port, 22);
}

TEST(ParseSshAddress, RefusesMalformedAddressesAndLeavesOptionsAlone) {
  for (const char* bad :
       {"", ":22", "fw1:", "fw1:0", "fw1:65536", "fw1:22x", "fw1:-1", "[2001:db8::1",
        "[2001:db8::1]22", "[]:22", "-oProxyCommand=x", "root@fw1", "fw 1"}) {
    SshOptions options;
    options.host = "unchanged";
    EXPECT_FALSE(ParseSshAddress(bad, &options)) << bad;
    EXPECT_EQ(options.host, "unchanged") << bad;
    EXPECT_EQ(options.port, 22) << bad;
  }
}

}  // namespace
}  // namespace cutover
