// The SSH transport against a real OpenSSH server on 127.0.0.1: what an operator sees
// when a member's host key is unknown or changed, when the member hangs, reboots or
// refuses the key, and proof that hostile arguments arrive as plain words.
#include "plugins/transport/ssh_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "common/process.h"
#include "common/strings.h"
#include "tests/support/net.h"
#include "tests/support/sshd_server.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
using testing::ReadFile;
using testing::SshdOptions;
using testing::SshdServer;
using testing::TempDir;

constexpr Duration kCommandTimeout = seconds(10);

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// "SHA256:..." of the (first) key in a known_hosts or .pub file, as ssh-keygen prints it.
std::string FingerprintOf(const std::string& key_file) {
  ProcessResult keygen = RunProcess({"ssh-keygen", "-l", "-E", "sha256", "-f", key_file}, {});
  auto fields = SplitFields(keygen.out);
  return fields.size() >= 2 ? std::string(fields[1]) : "(ssh-keygen -lf " + key_file + " failed)";
}

// A TCP port that accepts connections (the kernel completes the handshake) but never
// says a word: a member whose sshd is wedged.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Forwards TCP connections to sshd until Freeze(): then it stops passing bytes either way
// while keeping every connection open, like a member that froze after the SSH session
// was set up.
class FreezingRelay {
 public:
  explicit FreezingRelay(int target_port) : target_port_(target_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Loopback(0);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listen_fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FreezingRelay() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
    for (auto [a, b] : pairs_) {
      close(a);
      close(b);
    }
  }
  int port() const { return port_; }
  void Freeze() { frozen_ = true; }
  void Thaw() { frozen_ = false; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    return addr;
  }

  void Loop() {
    char buffer[65536];
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      if (!frozen_) {
        for (auto [a, b] : pairs_) {
          fds.push_back({a, POLLIN, 0});
          fds.push_back({b, POLLIN, 0});
        }
      }
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int client = accept(listen_fd_, nullptr, nullptr);
        int upstream = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr = Loopback(target_port_);
        connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        pairs_.emplace_back(client, upstream);
        continue;
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto& [a, b] = pairs_[(i - 1) / 2];
        int from = fds[i].fd, to = from == a ? b : a;
        ssize_t n = read(from, buffer, sizeof buffer);
        if (n <= 0) {
          shutdown(to, SHUT_WR);
          continue;
        }
        send(to, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      }
    }
  }

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> frozen_{false};
  std::vector<std::pair<int, int>> pairs_;
  std::thread thread_;
};

class SshTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.error(); }

  std::string Log() { return "\nsshd log:\n" + server_.Log(); }

  SshdServer server_;
  TempDir scratch_;
};

TEST_F(SshTransportTest, TrustedHostRunsTheCommandAndReportsBothStreamsAndExitStatus) {
  SshTransport ssh(server_.ClientOptions());
  CommandResult r = ssh.Run({"sh", "-c", "echo out; echo err >&2; exit 3"}, kCommandTimeout);
  ASSERT_TRUE(r.completed) << r.error << Log();
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_TRUE(ssh.Run({"true"}, kCommandTimeout).Ok());
  EXPECT_EQ(ssh.Target(), "ssh root@127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(SshTransportTest, HostileArgumentsArriveAsLiteralWords) {
  std::string marker = scratch_.File("pwned");
  std::vector<std::string> words = {"$(touch " + marker + ")",
                                    "`touch " + marker + "`",
                                    "; touch " + marker,
                                    "| touch " + marker,
                                    "&& touch " + marker,
                                    "it's",
                                    "say \"hi\"",
                                    "line1\nline2",
                                    "$HOME",
                                    "*",
                                    ""};
  std::vector<std::string> argv = {"printf", "%s\\n"};
  argv.insert(argv.end(), words.begin(), words.end());
  SshTransport ssh(server_.ClientOptions());
  CommandResult r = ssh.Run(argv, kCommandTimeout);
  ASSERT_TRUE(r.Ok()) << r.Describe() << Log();
  std::string expected;
  for (const auto& word : words) expected += word + "\n";
  EXPECT_EQ(r.out, expected);
  EXPECT_FALSE(std::filesystem::exists(marker)) << "an argument was executed by the remote shell";
}

TEST_F(SshTransportTest, UnknownHostKeyIsRefusedWithItsFingerprintAndTheEnrolCommand) {
  SshOptions options = server_.ClientOptions();
  options.known_hosts_file = scratch_.Write("known_hosts", "");
  SshTransport ssh(options);
  CommandResult r = ssh.Run({"true"}, kCommandTimeout);
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(Contains(r.error, "host key unknown")) << r.error;
  EXPECT_TRUE(Contains(r.error, FingerprintOf(server_.known_hosts_file()))) << r.error;
  EXPECT_TRUE(Contains(r.error, "cutover-exporter --ssh.enroll-host-key=")) << r.error;
  EXPECT_TRUE(Contains(r.error, options.known_hosts_file)) << r.error;
}

TEST_F(SshTransportTest, MissingKnownHostsFileIsRefusedAndNamed) {
  SshOptions options = server_.ClientOptions();
  options.known_hosts_file = scratch_.File("no-such-known_hosts");
  SshTransport ssh(options);
  CommandResult r = ssh.Run({"true"}, kCommandTimeout);
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(Contains(r.error, options.known_hosts_file + " does not exist")) << r.error;
  EXPECT_TRUE(Contains(r.error, FingerprintOf(server_.known_hosts_file()))) << r.error;
}

TEST_F(SshTransportTest, ChangedHostKeyIsRefusedAsPossibleManInTheMiddle) {
  std::string old_fingerprint = FingerprintOf(server_.known_hosts_file());
  ASSERT_TRUE(server_.ChangeHostKey()) << server_.error();
  SshTransport ssh(server_.ClientOptions());
  CommandResult r = ssh.Run({"true"}, kCommandTimeout);
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(Contains(r.error, "host key CHANGED")) << r.error;
  EXPECT_TRUE(Contains(r.error, "possible man-in-the-middle")) << r.error;
  EXPECT_TRUE(Contains(r.error, "remove the old line from " + server_.known_hosts_file()))
      << r.error;
  EXPECT_TRUE(Contains(r.error, "SHA256:")) << r.error;
  EXPECT_FALSE(Contains(r.error, old_fingerprint)) << "must show the key presented now";
}

TEST_F(SshTransportTest, EnrolmentTrustsANewHostThenCommandsRun) {
  SshOptions options = server_.ClientOptions();
  options.known_hosts_file = scratch_.File("fresh/known_hosts");
  EXPECT_FALSE(SshTransport(options).Run({"true"}, kCommandTimeout).completed);

  HostKeyEnrollment enrolled = EnrollHostKey(options);
  ASSERT_TRUE(enrolled.ok) << enrolled.error;
  EXPECT_FALSE(enrolled.already_known);
  EXPECT_EQ(enrolled.key_type, "ssh-ed25519");
  EXPECT_EQ(enrolled.fingerprint, FingerprintOf(server_.known_hosts_file()));
  EXPECT_TRUE(Contains(ReadFile(options.known_hosts_file),
                       "[127.0.0.1]:" + std::to_string(server_.port()) + " ssh-ed25519 AAAA"));

  CommandResult r = SshTransport(options).Run({"echo", "enrolled"}, kCommandTimeout);
  ASSERT_TRUE(r.Ok()) << r.Describe();
  EXPECT_EQ(r.out, "enrolled\n");

  HostKeyEnrollment again = EnrollHostKey(options);
  EXPECT_TRUE(again.ok) << again.error;
  EXPECT_TRUE(again.already_known);
}

TEST_F(SshTransportTest, EnrolmentNeverOverwritesAChangedHostKey) {
  std::string before = ReadFile(server_.known_hosts_file());
  ASSERT_TRUE(server_.ChangeHostKey()) << server_.error();
  HostKeyEnrollment enrolled = EnrollHostKey(server_.ClientOptions());
  EXPECT_FALSE(enrolled.ok);
  EXPECT_TRUE(Contains(enrolled.error, "host key CHANGED")) << enrolled.error;
  EXPECT_EQ(ReadFile(server_.known_hosts_file()), before) << "known_hosts must be left alone";
  EXPECT_FALSE(SshTransport(server_.ClientOptions()).Run({"true"}, kCommandTimeout).completed);
}

TEST_F(SshTransportTest, CommandTimeoutReturnsOnTimeAndTheNextRunWorks) {
  SshTransport ssh(server_.ClientOptions());
  std::string pid_file = scratch_.File("sleep.pid");
  auto start = Clock::now();
  CommandResult r = ssh.Run({"sh", "-c", "echo $$ > " + pid_file + "; exec sleep 30"}, seconds(1));
  auto took = Clock::now() - start;
  // OpenSSH refuses the transport's SIGTERM for root sessions, so the test stops the
  // stray sleep itself.
  if (auto pid = ParseUint(Trim(ReadFile(pid_file)))) kill(static_cast<pid_t>(*pid), SIGKILL);
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.error, "command timed out after 1s on " + ssh.Target());
  EXPECT_LT(took, milliseconds(2500)) << "Run must return at its timeout, not when sleep ends";

  CommandResult next = ssh.Run({"echo", "again"}, kCommandTimeout);
  ASSERT_TRUE(next.Ok()) << next.Describe() << Log();
  EXPECT_EQ(next.out, "again\n");
  EXPECT_EQ(ssh.connects(), 2) << "the timed-out session must be replaced";
}

TEST_F(SshTransportTest, ServerThatAcceptsButNeverSpeaksFailsWithinTheConnectTimeout) {
  SilentListener wedged;
  SshOptions options = server_.ClientOptions();
  options.port = wedged.port();
  options.connect_timeout = seconds(1);
  SshTransport ssh(options);
  auto start = Clock::now();
  CommandResult r = ssh.Run({"true"}, kCommandTimeout);
  EXPECT_LT(Clock::now() - start, milliseconds(2500));
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(Contains(r.error, "cannot connect")) << r.error;

  start = Clock::now();
  HostKeyEnrollment enrolled = EnrollHostKey(options);
  EXPECT_LT(Clock::now() - start, milliseconds(2500));
  EXPECT_FALSE(enrolled.ok);
}

TEST_F(SshTransportTest, CommandTimeoutHoldsWhenTheMemberFreezesMidSession) {
  FreezingRelay relay(server_.port());
  SshOptions options = server_.ClientOptions();
  options.port = relay.port();
  // known_hosts names the host by port, so trust the relay's port for the same key.
  std::string trusted = ReadFile(server_.known_hosts_file());
  auto key = SplitFields(trusted);
  ASSERT_GE(key.size(), 3u);
  options.known_hosts_file =
      scratch_.Write("known_hosts", "[127.0.0.1]:" + std::to_string(relay.port()) + " " +
                                        std::string(key[1]) + " " + std::string(key[2]) + "\n");
  SshTransport ssh(options);
  ASSERT_TRUE(ssh.Run({"true"}, kCommandTimeout).Ok());

  relay.Freeze();
  auto start = Clock::now();
  CommandResult r = ssh.Run({"true"}, seconds(1));
  EXPECT_LT(Clock::now() - start, milliseconds(2500));
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.error, "command timed out after 1s on " + ssh.Target());

  relay.Thaw();
  EXPECT_TRUE(ssh.Run({"true"}, kCommandTimeout).Ok());
  EXPECT_EQ(ssh.connects(), 2);
}

TEST_F(SshTransportTest, OneSessionServesManyCommands) {
  SshTransport ssh(server_.ClientOptions());
  for (int i = 0; i < 10; ++i) {
    CommandResult r = ssh.Run({"echo", std::to_string(i)}, kCommandTimeout);
    ASSERT_TRUE(r.Ok()) << "run " << i << ": " << r.Describe();
    EXPECT_EQ(r.out, std::to_string(i) + "\n");
  }
  EXPECT_EQ(ssh.connects(), 1);
}

TEST_F(SshTransportTest, ReconnectsAfterSshdRestarts) {
  SshTransport ssh(server_.ClientOptions());
  ASSERT_TRUE(ssh.Run({"true"}, kCommandTimeout).Ok());
  ASSERT_TRUE(server_.Restart()) << server_.error();
  CommandResult r = ssh.Run({"echo", "back"}, kCommandTimeout);
  ASSERT_TRUE(r.Ok()) << r.Describe() << Log();
  EXPECT_EQ(r.out, "back\n");
  EXPECT_EQ(ssh.connects(), 2) << "the old session died with sshd; a new one was needed";
}

TEST_F(SshTransportTest, WrongClientKeyIsRefusedWithAClearAuthenticationError) {
  std::string other_key = scratch_.File("other_ed25519");
  ProcessResult keygen =
      RunProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other_key}, {});
  ASSERT_EQ(keygen.exit_status, 0) << keygen.err;
  SshOptions options = server_.ClientOptions();
  options.identity_file = other_key;
  CommandResult r = SshTransport(options).Run({"true"}, kCommandTimeout);
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(Contains(r.error, "authentication refused for user root")) << r.error;
  EXPECT_TRUE(Contains(r.error, other_key)) << r.error;
  EXPECT_TRUE(Contains(r.error, FingerprintOf(other_key + ".pub"))) << r.error;

  options.identity_file = scratch_.File("missing_key");
  r = SshTransport(options).Run({"true"}, kCommandTimeout);
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(Contains(r.error, "cannot load private key " + options.identity_file)) << r.error;
}

TEST_F(SshTransportTest, IdentityFileThatIsAFifoOrReadableByOthersIsRefusedWithTheFix) {
  SshOptions options = server_.ClientOptions();
  std::string fifo = scratch_.File("fifo_key");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  options.identity_file = fifo;
  auto run = std::async(std::launch::async,
                        [options] { return SshTransport(options).Run({"true"}, kCommandTimeout); });
  if (run.wait_for(seconds(5)) != std::future_status::ready) {
    int writer = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // lets the stuck read end
    close(writer);
    FAIL() << "loading a FIFO as the private key hung the transport";
  }
  CommandResult r = run.get();
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(Contains(r.error, fifo) && Contains(r.error, "not a regular file")) << r.error;

  std::string shared = scratch_.File("shared_key");
  std::filesystem::copy_file(server_.ClientOptions().identity_file, shared);
  chmod(shared.c_str(), 0644);
  options.identity_file = shared;
  r = SshTransport(options).Run({"true"}, kCommandTimeout);
  EXPECT_FALSE(r.completed) << "a private key others can read was used";
  EXPECT_TRUE(Contains(r.error, "chmod 600 " + shared)) << r.error;
}

TEST_F(SshTransportTest, FourTransportsInFourThreads) {
  constexpr int kThreads = 4, kRuns = 5;
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SshTransport ssh(server_.ClientOptions());
      for (int i = 0; i < kRuns; ++i) {
        std::string word = "t" + std::to_string(t) + "-" + std::to_string(i);
        CommandResult r = ssh.Run({"echo", word}, kCommandTimeout);
        if (!r.Ok() || r.out != word + "\n") {
          failures[t] = word + ": " + r.Describe() + " out=" + r.out;
          return;
        }
      }
      if (ssh.connects() != 1) failures[t] = "connects=" + std::to_string(ssh.connects());
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t << Log();
}

TEST_F(SshTransportTest, ReadsStderrWhileStdoutIsQuiet) {
  // 3 MB on stderr before any stdout: more than the channel window, so a reader that
  // waited on stdout alone would stall until the timeout.
  SshTransport ssh(server_.ClientOptions());
  CommandResult r =
      ssh.Run({"sh", "-c", "head -c 3000000 /dev/zero >&2; head -c 1000 /dev/zero"}, seconds(5));
  ASSERT_TRUE(r.Ok()) << r.Describe();
  EXPECT_EQ(r.err.size(), 3000000u);
  EXPECT_EQ(r.out.size(), 1000u);
}

// A command printing without end used to be read (and discarded) until its deadline, and
// a cut-short output was parsed as if whole. Passing the limit is now a failure, at once.
TEST_F(SshTransportTest, OutputBeyondTheLimitFailsTheCommandAtOnce) {
  SshTransport ssh(server_.ClientOptions());
  auto start = Clock::now();
  CommandResult r = ssh.Run({"cat", "/dev/zero"}, seconds(8));
  EXPECT_LT(Clock::now() - start, seconds(4)) << "reading must stop at the limit";
  EXPECT_FALSE(r.Ok());
  EXPECT_FALSE(r.completed) << "a cut output must not be parsed as the command's answer";
  EXPECT_TRUE(Contains(r.error, "4194304 bytes")) << r.error;
  EXPECT_LE(r.out.size(), 4u * 1024 * 1024);
  CommandResult next = ssh.Run({"echo", "ok"}, kCommandTimeout);
  EXPECT_TRUE(next.Ok()) << "the next command gets a fresh session: " << next.Describe();
}

TEST_F(SshTransportTest, CommandKilledBySignalReports128PlusSignal) {
  SshTransport ssh(server_.ClientOptions());
  CommandResult r = ssh.Run({"sh", "-c", "kill -KILL $$"}, kCommandTimeout);
  ASSERT_TRUE(r.completed) << r.error;
  EXPECT_EQ(r.exit_status, 128 + SIGKILL);
}

TEST_F(SshTransportTest, CommandsReadingStdinSeeEndOfFile) {
  SshTransport ssh(server_.ClientOptions());
  auto start = Clock::now();
  CommandResult r = ssh.Run({"cat"}, seconds(5));
  EXPECT_LT(Clock::now() - start, seconds(2));
  ASSERT_TRUE(r.Ok()) << r.Describe();
  EXPECT_EQ(r.out, "");
}

TEST(SshdServerFixture, ExtraPathPutsStandInCommandsFirst) {
  TempDir bin;
  bin.Write("cphaprob", "#!/bin/sh\necho stand-in cphaprob \"$@\"\n", 0755);
  SshdServer server(SshdOptions{bin.path()});
  ASSERT_TRUE(server.Start()) << server.error();
  SshTransport ssh(server.ClientOptions());
  CommandResult r = ssh.Run({"cphaprob", "state"}, kCommandTimeout);
  ASSERT_TRUE(r.Ok()) << r.Describe() << "\nsshd log:\n" << server.Log();
  EXPECT_EQ(r.out, "stand-in cphaprob state\n");
}

}  // namespace
}  // namespace cutover
