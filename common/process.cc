#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace cutover {
namespace {

void CloseIfOpen(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

std::int64_t MillisLeft(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : left.count();
}

// A program that exits without reading its stdin must not kill the caller with SIGPIPE:
// block it on this thread for the write and discard the one it raised.
ssize_t WriteWithoutSigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ssize_t w = write(fd, data, size);
  int saved = errno;
  if (w < 0 && errno == EPIPE) {
    timespec no_wait{0, 0};
    sigtimedwait(&pipe_set, nullptr, &no_wait);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return w;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessResult result;
  if (argv.empty()) {
    result.error = "no program given";
    return result;
  }
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  for (const auto& e : options.extra_env) env_storage.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_storage) env.push_back(e.data());
  env.push_back(nullptr);

  // posix_spawn rather than fork: the daemons are large and multithreaded, and copying
  // their page tables for every probe or action costs milliseconds. The child gets its
  // own process group (a timeout kills its children too), an empty signal mask (the
  // daemons block SIGINT/SIGTERM for sigwait) and default SIGPIPE.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);
  pid_t pid = -1;
  int spawn_error = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawn_error != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.error = "cannot execute " + argv[0] + ": " + std::strerror(spawn_error);
    return result;
  }
  result.started = true;

  int in_fd = in_pipe[1], out_fd = out_pipe[0], err_fd = err_pipe[0];
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (options.stdin_data.empty()) CloseIfOpen(in_fd);

  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool truncated = false;
  char buffer[16384];
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    int out_index = -1, err_index = -1, in_index = -1;
    if (out_fd >= 0) {
      out_index = n;
      fds[n++] = {out_fd, POLLIN, 0};
    }
    if (err_fd >= 0) {
      err_index = n;
      fds[n++] = {err_fd, POLLIN, 0};
    }
    if (in_fd >= 0) {
      in_index = n;
      fds[n++] = {in_fd, POLLOUT, 0};
    }
    std::int64_t left = MillisLeft(deadline);
    if (left == 0) {
      result.timed_out = true;
      break;
    }
    int ready = poll(fds, n, static_cast<int>(left));
    if (ready < 0) {
      if (errno == EINTR) continue;
      result.error = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (ready == 0) continue;
    if (in_index >= 0 && (fds[in_index].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = WriteWithoutSigpipe(in_fd, options.stdin_data.data() + written,
                                      options.stdin_data.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 && errno != EAGAIN) CloseIfOpen(in_fd);  // reader went away: fine
      if (written == options.stdin_data.size()) CloseIfOpen(in_fd);
    }
    struct Stream {
      int index;
      int* fd;
      std::string* sink;
    };
    for (Stream stream :
         {Stream{out_index, &out_fd, &result.out}, Stream{err_index, &err_fd, &result.err}}) {
      auto [index, fd, sink] = stream;
      if (index < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(*fd, buffer, sizeof buffer);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        CloseIfOpen(*fd);
        continue;
      }
      std::size_t room =
          options.max_output_bytes > sink->size() ? options.max_output_bytes - sink->size() : 0;
      std::size_t take = std::min(room, static_cast<std::size_t>(r));
      if (take < static_cast<std::size_t>(r)) truncated = true;
      sink->append(buffer, take);
    }
  }
  CloseIfOpen(in_fd);
  CloseIfOpen(out_fd);
  CloseIfOpen(err_fd);

  int status = 0;
  if (result.timed_out) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    result.exit_status = -1;
    result.error = argv[0] + " timed out after " + std::to_string(options.timeout.count()) + "ms";
    return result;
  }
  // Output closed; the program may still be running briefly. Wait within the deadline.
  while (true) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (MillisLeft(deadline) == 0) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      result.error = argv[0] + " timed out after " + std::to_string(options.timeout.count()) + "ms";
      return result;
    }
    usleep(1000);
  }
  if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_status = 128 + WTERMSIG(status);
  if (truncated)
    result.error = "output truncated at " + std::to_string(options.max_output_bytes) + " bytes";
  return result;
}

}  // namespace cutover
