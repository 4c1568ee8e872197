#include "tests/support/sshd_server.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <sstream>

#include "common/process.h"
#include "common/strings.h"
#include "tests/support/net.h"

namespace cutover::testing {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kHostKey = "ssh_host_ed25519_key";
constexpr const char* kClientKey = "client_ed25519";

bool GenerateKey(const std::string& path, std::string* error) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  std::filesystem::remove(path + ".pub", ignored);
  ProcessResult keygen = RunProcess(
      {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cutover-test", "-f", path}, {});
  if (!keygen.started || keygen.exit_status != 0) {
    *error = "ssh-keygen for " + path + " failed: " + keygen.error + keygen.err;
    return false;
  }
  return true;
}

// Every process below `root` (sshd's per-connection monitors and the sessions they run,
// which call setsid() and so escape the listener's process group).
std::vector<pid_t> Descendants(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> parent_of;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    auto pid = ParseUint(entry.path().filename().string());
    if (!pid) continue;
    std::string stat = ReadFile(entry.path().string() + "/stat");
    auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    auto fields = SplitFields(std::string_view(stat).substr(paren + 1));
    if (fields.size() < 2) continue;
    auto ppid = ParseUint(fields[1]);
    if (ppid) parent_of.emplace_back(static_cast<pid_t>(*pid), static_cast<pid_t>(*ppid));
  }
  std::set<pid_t> found{root};
  bool grew = true;
  while (grew) {
    grew = false;
    for (auto [pid, ppid] : parent_of) {
      if (found.count(ppid) != 0 && found.insert(pid).second) grew = true;
    }
  }
  found.erase(root);
  return {found.begin(), found.end()};
}

}  // namespace

SshdServer::SshdServer(SshdOptions options) : options_(std::move(options)) {}

SshdServer::~SshdServer() { Stop(); }

bool SshdServer::Start() {
  error_.clear();
  std::error_code ec;
  // sshd's privilege-separation directory; Debian creates it only from its service unit.
  std::filesystem::create_directories("/run/sshd", ec);
  if (!GenerateKey(dir_.File(kHostKey), &error_)) return false;
  if (!GenerateKey(dir_.File(kClientKey), &error_)) return false;
  dir_.Write("authorized_keys", ReadFile(dir_.File(kClientKey) + ".pub"), 0600);

  // FreeTcpPort can race with other tests on the machine: retry on another port when
  // sshd could not bind.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreeTcpPort();
    std::string public_key = ReadFile(dir_.File(kHostKey) + ".pub");
    auto host_key = SplitFields(public_key);
    if (host_key.size() < 2) {
      error_ = "unreadable host public key " + dir_.File(kHostKey) + ".pub";
      return false;
    }
    dir_.Write("known_hosts", "[127.0.0.1]:" + std::to_string(port_) + " " +
                                  std::string(host_key[0]) + " " + std::string(host_key[1]) + "\n");
    if (Launch()) return true;
    if (Log().find("Address already in use") == std::string::npos) return false;
  }
  return false;
}

bool SshdServer::Launch() {
  std::ostringstream config;
  config << "Port " << port_ << "\n"
         << "ListenAddress 127.0.0.1\n"
         << "HostKey " << dir_.File(kHostKey) << "\n"
         << "PidFile " << dir_.File("sshd.pid") << "\n"
         << "AuthorizedKeysFile " << dir_.File("authorized_keys") << "\n"
         << "UsePAM no\n"
         << "StrictModes no\n"
         << "PermitRootLogin prohibit-password\n"
         << "PubkeyAuthentication yes\n"
         << "PasswordAuthentication no\n"
         << "KbdInteractiveAuthentication no\n"
         << "PrintMotd no\n"
         << "PrintLastLog no\n"
         << "UseDNS no\n"
         << "LogLevel VERBOSE\n"
         // Several transports connect at once in the concurrency tests.
         << "MaxStartups 64\n";
  if (!options_.extra_path.empty()) {
    config << "SetEnv PATH=" << options_.extra_path
           << ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n";
  }
  std::string config_file = dir_.Write("sshd_config", config.str(), 0600);
  std::string log_file = dir_.File("sshd.log");
  if (!process_.Start({kSshd, "-D", "-e", "-f", config_file}, log_file)) {
    error_ = "cannot start " + std::string(kSshd);
    return false;
  }
  bool up = WaitUntil(
      [this] { return !process_.Running() || WaitForTcpPort(port_, std::chrono::milliseconds(0)); },
      std::chrono::seconds(10));
  if (!up || !process_.Running()) {
    error_ = "sshd did not come up on 127.0.0.1:" + std::to_string(port_) + "; its log:\n" + Log();
    process_.Stop();
    return false;
  }
  return true;
}

void SshdServer::Stop() {
  if (process_.pid() > 0) {
    // Connections end too, as when a member reboots: clients must notice and reconnect.
    for (int pass = 0; pass < 2; ++pass) {
      for (pid_t pid : Descendants(process_.pid())) kill(pid, SIGKILL);
    }
  }
  process_.Stop();
}

bool SshdServer::Restart() {
  Stop();
  error_.clear();
  return Launch();
}

bool SshdServer::ChangeHostKey() {
  Stop();
  error_.clear();
  if (!GenerateKey(dir_.File(kHostKey), &error_)) return false;
  return Launch();
}

SshOptions SshdServer::ClientOptions() const {
  SshOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  options.user = "root";
  options.identity_file = identity_file();
  options.known_hosts_file = known_hosts_file();
  options.connect_timeout = std::chrono::seconds(5);
  return options;
}

std::string SshdServer::known_hosts_file() const { return dir_.File("known_hosts"); }

std::string SshdServer::identity_file() const { return dir_.File(kClientKey); }

std::string SshdServer::Log() const { return process_.Log(); }

}  // namespace cutover::testing
