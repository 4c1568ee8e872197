#include "plugins/transport/ssh_transport.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <utility>

#include "common/secret_file.h"
#include "common/strings.h"

namespace cutover {
namespace {

using Clock = std::chrono::steady_clock;

// libssh reads its per-operation timeout from the session; teardown gets this long so a
// frozen peer cannot hold a close or disconnect.
constexpr Duration kTeardownTimeout = std::chrono::milliseconds(200);
// Upper bound for one wait in the read loop, so a missed wake-up costs latency, not a hang.
constexpr int kMaxPollMillis = 100;

Duration Left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
  return std::max(left, Duration::zero());
}

// Blocking libssh calls wait as long as SSH_OPTIONS_TIMEOUT(+_USEC) says, and forever
// when both are zero, so every blocking step sets this first. At least 1ms for that reason.
void SetCallTimeout(ssh_session session, Duration timeout) {
  auto millis = std::max<long>(timeout.count(), 1);
  long seconds = millis / 1000;
  long micros = (millis % 1000) * 1000;
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &seconds);
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &micros);
}

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyDeleter>;

struct SessionDeleter {
  void operator()(ssh_session session) const {
    SetCallTimeout(session, kTeardownTimeout);
    ssh_disconnect(session);
    ssh_free(session);
  }
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionDeleter>;

std::string Sha256Fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) {
    return "SHA256:(unavailable)";
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  if (text == nullptr) return "SHA256:(unavailable)";
  std::string fingerprint = text;
  ssh_string_free_char(text);
  return fingerprint;
}

std::string KeyType(ssh_key key) {
  const char* type = ssh_key_type_to_char(ssh_key_type(key));
  return type != nullptr ? type : "unknown-key-type";
}

std::string HostPort(const SshOptions& options) {
  bool v6 = options.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + options.host + "]" : options.host;
  return host + ":" + std::to_string(options.port);
}

std::string Describe(const SshOptions& options) {
  return "ssh " + (options.user.empty() ? std::string() : options.user + "@") + HostPort(options);
}

constexpr const char* kEnrollFix =
    "enrol it with `cutover-exporter --ssh.enroll-host-key=<member>`";

// Creates a session for `options` and runs the key exchange within `budget`. The server's
// host key is not judged here: callers decide (Run refuses, EnrollHostKey may append).
SessionPtr Connect(const SshOptions& options, Duration budget, std::string* error) {
  if (options.host.empty()) {
    *error = "no host configured";
    return nullptr;
  }
  if (options.known_hosts_file.empty()) {
    *error = "no known_hosts file configured; cutover trusts only keys listed there";
    return nullptr;
  }
  SessionPtr session(ssh_new());
  if (!session) {
    *error = "cannot allocate an SSH session";
    return nullptr;
  }
  ssh_session s = session.get();
  unsigned int port = static_cast<unsigned int>(options.port);
  bool process_config = false;
  int failed = 0;
  failed |= ssh_options_set(s, SSH_OPTIONS_HOST, options.host.c_str());
  failed |= ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  if (!options.user.empty()) failed |= ssh_options_set(s, SSH_OPTIONS_USER, options.user.c_str());
  // The configured file is also the "global" one, so /etc/ssh/ssh_known_hosts adds no
  // trust; PROCESS_CONFIG off keeps ~/.ssh/config and /etc/ssh/ssh_config out.
  failed |= ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, options.known_hosts_file.c_str());
  failed |= ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, options.known_hosts_file.c_str());
  failed |= ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
  if (failed != 0) {
    *error = std::string("invalid SSH options: ") + ssh_get_error(s);
    return nullptr;
  }
  Duration connect_budget = std::min(options.connect_timeout, budget);
  SetCallTimeout(s, connect_budget);
  if (ssh_connect(s) != SSH_OK) {
    *error = std::string("cannot connect: ") + ssh_get_error(s) + " (connect timeout " +
             FormatDuration(connect_budget) + ")";
    // The socket may be half-open; ssh_free alone closes it without talking to the peer.
    ssh_free(session.release());
    return nullptr;
  }
  return session;
}

// Empty when the server's host key is listed in known_hosts; otherwise what an operator
// needs: the fingerprint presented and how to fix it.
std::string CheckHostKey(ssh_session session, const SshOptions& options) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(session, &raw) != SSH_OK) {
    return std::string("cannot read the server's host key: ") + ssh_get_error(session);
  }
  KeyPtr key(raw);
  std::string presented = KeyType(key.get()) + " " + Sha256Fingerprint(key.get());
  const std::string& file = options.known_hosts_file;
  enum ssh_known_hosts_e state = ssh_session_is_known_server(session);
  // libssh 0.10 reports a missing file as UNKNOWN; the operator should hear which it is.
  if (state == SSH_KNOWN_HOSTS_UNKNOWN && access(file.c_str(), F_OK) != 0) {
    state = SSH_KNOWN_HOSTS_NOT_FOUND;
  }
  switch (state) {
    case SSH_KNOWN_HOSTS_OK:
      return "";
    case SSH_KNOWN_HOSTS_CHANGED:
      return "host key CHANGED: the server presented " + presented + ", which differs from " +
             "the key for " + options.host + " in " + file +
             "; possible man-in-the-middle; if the change is expected remove the old line from " +
             file + " and enrol again";
    case SSH_KNOWN_HOSTS_OTHER:
      return "host key CHANGED: the server presented " + presented + " but " + file +
             " holds a key of another type for " + options.host +
             "; possible man-in-the-middle; if the change is expected remove the old line from " +
             file + " and enrol again";
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      return "host key unknown: " + file + " does not exist; the server presented " + presented +
             "; check that fingerprint on the member, then " + kEnrollFix;
    case SSH_KNOWN_HOSTS_UNKNOWN:
      return "host key unknown: the server presented " + presented + ", which is not in " + file +
             "; check that fingerprint on the member, then " + kEnrollFix;
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return "cannot check the host key (" + presented + ") against " + file + ": " +
         ssh_get_error(session);
}

std::string Authenticate(ssh_session session, const SshOptions& options) {
  if (options.identity_file.empty()) return "no identity_file (private key) configured";
  // Before libssh opens it: a FIFO would hang the import, and a key others can read is no
  // longer this host's secret.
  if (std::string why = CheckSecretFile(options.identity_file, "identity_file"); !why.empty())
    return "cannot load private key " + options.identity_file + ": " + why;
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_file(options.identity_file.c_str(), nullptr, nullptr, nullptr, &raw) !=
      SSH_OK) {
    return "cannot load private key " + options.identity_file +
           " (missing, unreadable, passphrase-protected or not an OpenSSH/PEM key; use an "
           "unencrypted key readable by cutover)";
  }
  KeyPtr key(raw);
  std::string user = options.user.empty() ? "the local user name" : "user " + options.user;
  switch (ssh_userauth_publickey(session, nullptr, key.get())) {
    case SSH_AUTH_SUCCESS:
      return "";
    case SSH_AUTH_DENIED:
      return "authentication refused for " + user + " with key " + options.identity_file + " (" +
             Sha256Fingerprint(key.get()) + "); add " + options.identity_file +
             ".pub to that user's authorized_keys on the member";
    case SSH_AUTH_PARTIAL:
      return "the server wants more than public-key authentication for " + user +
             " (partial success); cutover supports public keys only";
    case SSH_AUTH_AGAIN:
      return "authentication timed out";
    default:
      return std::string("authentication failed: ") + ssh_get_error(session);
  }
}

int SignalNumber(const std::string& name) {
  static constexpr std::pair<const char*, int> kSignals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"ABRT", SIGABRT},
      {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}};
  for (const auto& [signal_name, number] : kSignals) {
    if (name == signal_name) return number;
  }
  return -1;
}

void RecordExitSignal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*,
                      void* userdata) {
  *static_cast<std::string*>(userdata) = signal != nullptr ? signal : "";
}

// Owns one channel for one command and the callback that records an exit signal.
class CommandChannel {
 public:
  explicit CommandChannel(ssh_session session)
      : session_(session), channel_(ssh_channel_new(session)) {
    callbacks_.userdata = &exit_signal_;
    callbacks_.channel_exit_signal_function = RecordExitSignal;
    ssh_callbacks_init(&callbacks_);
    if (channel_ != nullptr) ssh_add_channel_callbacks(channel_, &callbacks_);
  }
  ~CommandChannel() {
    if (channel_ == nullptr) return;
    ssh_remove_channel_callbacks(channel_, &callbacks_);
    SetCallTimeout(session_, kTeardownTimeout);
    if (ssh_channel_is_open(channel_)) ssh_channel_close(channel_);
    ssh_channel_free(channel_);
  }
  CommandChannel(const CommandChannel&) = delete;
  CommandChannel& operator=(const CommandChannel&) = delete;

  ssh_channel get() const { return channel_; }
  const std::string& exit_signal() const { return exit_signal_; }

 private:
  ssh_session session_;
  ssh_channel channel_;
  std::string exit_signal_;
  ssh_channel_callbacks_struct callbacks_{};
};

enum class DrainResult { kOk, kSessionError, kOverLimit };

// Appends what is buffered on one stream; `*total` counts both streams, and passing
// `limit` stops the reading.
DrainResult Drain(ssh_channel channel, int is_stderr, std::string* sink, std::size_t* total,
                  std::size_t limit) {
  char buffer[16384];
  while (true) {
    int n = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, is_stderr);
    if (n == SSH_ERROR) return DrainResult::kSessionError;
    if (n <= 0) return DrainResult::kOk;  // nothing buffered now, or EOF
    *total += static_cast<std::size_t>(n);
    if (*total > limit) return DrainResult::kOverLimit;
    sink->append(buffer, static_cast<std::size_t>(n));
  }
}

// Waits until the session socket has something to read (or can take pending writes),
// at most `wait`.
void WaitForSocket(ssh_session session, Duration wait) {
  pollfd fd{};
  fd.fd = ssh_get_fd(session);
  fd.events = POLLIN;
  if (ssh_get_poll_flags(session) & SSH_WRITE_PENDING) fd.events |= POLLOUT;
  int millis = static_cast<int>(std::min<long>(wait.count(), kMaxPollMillis));
  if (fd.fd < 0 || millis <= 0) return;
  poll(&fd, 1, millis);
}

enum class ExitState { kStatus, kNone, kError };

// The exit status (or 128 + signal) once the remote side reported it, within `budget`.
ExitState ReadExitStatus(ssh_session session, const CommandChannel& channel, Duration budget,
                         int* exit_status) {
  SetCallTimeout(session, budget);
#if LIBSSH_VERSION_INT >= SSH_VERSION_INT(0, 11, 0)
  uint32_t code = 0;
  char* signal = nullptr;
  int core_dumped = 0;
  int rc = ssh_channel_get_exit_state(channel.get(), &code, &signal, &core_dumped);
  std::string signal_name = signal != nullptr ? signal : channel.exit_signal();
  if (signal != nullptr) ssh_string_free_char(signal);
  if (rc == SSH_ERROR) return ExitState::kError;
  if (rc == SSH_OK && signal_name.empty()) {
    *exit_status = static_cast<int>(code);
    return ExitState::kStatus;
  }
#else
  int status = ssh_channel_get_exit_status(channel.get());
  if (status >= 0) {
    *exit_status = status;
    return ExitState::kStatus;
  }
  if (ssh_get_status(session) & SSH_CLOSED_ERROR) return ExitState::kError;
  std::string signal_name = channel.exit_signal();
#endif
  int number = SignalNumber(signal_name);
  if (number > 0) {
    *exit_status = 128 + number;
    return ExitState::kStatus;
  }
  return ExitState::kNone;
}

}  // namespace

struct SshTransport::Session {
  SessionPtr handle;
};

bool ParseSshAddress(const std::string& address, SshOptions* options) {
  std::string host = address;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string::npos) return false;
    host = address.substr(1, close - 1);
    std::string rest = address.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else if (std::count(address.begin(), address.end(), ':') == 1) {
    auto colon = address.find(':');
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (port.empty()) return false;
  }
  if (host.empty() || host.front() == '-') return false;
  for (char c : host) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '[' || c == ']' || c == '@' || c == '/') {
      return false;
    }
  }
  int parsed_port = options->port;
  if (!port.empty()) {
    auto value = ParseUint(port);
    if (!value || *value < 1 || *value > 65535) return false;
    parsed_port = static_cast<int>(*value);
  }
  options->host = host;
  options->port = parsed_port;
  return true;
}

SshTransport::SshTransport(SshOptions options) : options_(std::move(options)) {}
SshTransport::~SshTransport() = default;

std::string SshTransport::Target() const { return Describe(options_); }

namespace {

enum class Outcome {
  kDone,         // the command ran; result holds its output and exit status
  kRetry,        // nothing reached the server; a fresh session may try again
  kDropSession,  // result.error says why; the session is unusable
};

// Runs one command on an authenticated session through its own channel. The channel is
// gone when this returns, so the caller may then free the session.
Outcome RunOnSession(ssh_session session, const std::string& command, Clock::time_point deadline,
                     std::size_t max_output_bytes, const std::string& timeout_error,
                     CommandResult* result) {
  auto drop = [&](std::string why) {
    result->error = Left(deadline) == Duration::zero() ? timeout_error : std::move(why);
    return Outcome::kDropSession;
  };
  CommandChannel channel(session);
  SetCallTimeout(session, Left(deadline));
  if (channel.get() == nullptr || ssh_channel_open_session(channel.get()) != SSH_OK) {
    result->error = std::string("cannot open a channel: ") + ssh_get_error(session);
    return Left(deadline) == Duration::zero() ? drop("") : Outcome::kRetry;
  }
  SetCallTimeout(session, Left(deadline));
  if (ssh_channel_request_exec(channel.get(), command.c_str()) != SSH_OK) {
    return drop(std::string("cannot start the command: ") + ssh_get_error(session));
  }
  // Like `ssh -n`: a command that reads stdin gets EOF instead of waiting for the deadline.
  ssh_channel_send_eof(channel.get());

  // Both streams are drained on every pass: waiting on one while the other fills its
  // window would stall the remote command.
  std::size_t total = 0;
  while (true) {
    DrainResult drained = Drain(channel.get(), 0, &result->out, &total, max_output_bytes);
    if (drained == DrainResult::kOk)
      drained = Drain(channel.get(), 1, &result->err, &total, max_output_bytes);
    if (drained == DrainResult::kSessionError)
      return drop(std::string("connection lost while reading output: ") + ssh_get_error(session));
    if (drained == DrainResult::kOverLimit) {
      // No real answer is this long (a runaway command, a hostile member): what was read
      // is not the whole answer, so the command failed. Signalled as at the deadline.
      ssh_channel_request_send_signal(channel.get(), "TERM");
      return drop("the command printed more than " + std::to_string(max_output_bytes) +
                  " bytes (SshOptions.max_output_bytes, per command); stopped reading");
    }
    if (ssh_channel_is_eof(channel.get()) || ssh_channel_is_closed(channel.get())) break;
    Duration left = Left(deadline);
    if (left == Duration::zero()) {
      // Best effort to stop the remote command: OpenSSH signals its process group, but
      // refuses for root sessions (no post-auth privilege separation), and closing the
      // channel does not stop a command without a pty. It then runs on until it ends.
      ssh_channel_request_send_signal(channel.get(), "TERM");
      return drop("");
    }
    WaitForSocket(session, left);
  }

  int exit_status = -1;
  switch (ReadExitStatus(session, channel, Left(deadline), &exit_status)) {
    case ExitState::kStatus:
      break;
    case ExitState::kError:
      return drop(std::string("connection lost before the exit status arrived: ") +
                  ssh_get_error(session));
    case ExitState::kNone:
      return drop("the server closed the channel without an exit status");
  }
  result->completed = true;
  result->exit_status = exit_status;
  return Outcome::kDone;
}

}  // namespace

CommandResult SshTransport::Run(const std::vector<std::string>& argv, Duration timeout) {
  CommandResult result;
  auto deadline = Clock::now() + timeout;
  std::string timeout_error =
      "command timed out after " + FormatDuration(timeout) + " on " + Target();
  auto fail = [&](const std::string& why) {
    session_.reset();
    result = CommandResult{};
    result.error = Target() + ": " + why;
    return result;
  };
  if (argv.empty()) {
    result.error = Target() + ": no command given";
    return result;
  }
  std::string command = ShellJoin(argv);

  // A reused session may have died (member rebooted, sshd restarted). If opening the
  // channel fails on it, nothing was sent yet, so one retry on a fresh session is safe.
  for (int attempt = 0;; ++attempt) {
    bool fresh = false;
    if (!session_) {
      std::string error;
      SessionPtr handle = Connect(options_, Left(deadline), &error);
      if (!handle) return fail(error);
      ++connects_;
      if (std::string why = CheckHostKey(handle.get(), options_); !why.empty()) return fail(why);
      SetCallTimeout(handle.get(), std::min(options_.connect_timeout, Left(deadline)));
      if (std::string why = Authenticate(handle.get(), options_); !why.empty()) return fail(why);
      session_ = std::make_unique<Session>(Session{std::move(handle)});
      fresh = true;
    }
    if (Left(deadline) == Duration::zero()) {
      session_.reset();
      result.error = timeout_error;
      return result;
    }
    result = CommandResult{};
    switch (RunOnSession(session_->handle.get(), command, deadline, options_.max_output_bytes,
                         timeout_error, &result)) {
      case Outcome::kDone:
        return result;
      case Outcome::kRetry:
        session_.reset();
        if (!fresh && attempt == 0) continue;
        result.error = Target() + ": " + result.error;
        return result;
      case Outcome::kDropSession:
        session_.reset();
        if (result.error != timeout_error) result.error = Target() + ": " + result.error;
        return result;
    }
  }
}

HostKeyEnrollment EnrollHostKey(const SshOptions& options) {
  HostKeyEnrollment enrollment;
  std::string target = Describe(options);
  std::string error;
  SessionPtr session = Connect(options, options.connect_timeout, &error);
  if (!session) {
    enrollment.error = target + ": " + error;
    return enrollment;
  }
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(session.get(), &raw) != SSH_OK) {
    enrollment.error =
        target + ": cannot read the server's host key: " + ssh_get_error(session.get());
    return enrollment;
  }
  KeyPtr key(raw);
  enrollment.fingerprint = Sha256Fingerprint(key.get());
  enrollment.key_type = KeyType(key.get());
  switch (ssh_session_is_known_server(session.get())) {
    case SSH_KNOWN_HOSTS_OK:
      enrollment.ok = true;
      enrollment.already_known = true;
      return enrollment;
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      if (ssh_session_update_known_hosts(session.get()) != SSH_OK) {
        enrollment.error = target + ": cannot append the host key to " + options.known_hosts_file +
                           ": " + ssh_get_error(session.get());
        return enrollment;
      }
      enrollment.ok = true;
      return enrollment;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      enrollment.error = target + ": not enrolling: " + CheckHostKey(session.get(), options);
      return enrollment;
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  enrollment.error = target + ": cannot check the host key against " + options.known_hosts_file +
                     ": " + ssh_get_error(session.get());
  return enrollment;
}

}  // namespace cutover
