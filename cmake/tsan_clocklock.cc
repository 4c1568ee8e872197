// ThreadSanitizer in GCC 12 (libtsan.so.2) and clang 14 does not intercept
// pthread_mutex_clocklock, which libstdc++'s std::timed_mutex calls for steady_clock
// deadlines (try_lock_for, try_lock_until): TSan misses the lock and reports "unlock of an
// unlocked mutex" at every unlock. Linked into the TSan build only (CUTOVER_TSAN), this
// definition takes precedence over glibc's and waits in pthread_mutex_timedlock, which
// TSan does intercept, until the same moment on the realtime clock.
#include <pthread.h>
#include <time.h>

namespace {

constexpr long long kNanosPerSecond = 1000000000LL;

long long Nanos(const timespec& t) { return t.tv_sec * kNanosPerSecond + t.tv_nsec; }

}  // namespace

extern "C" int pthread_mutex_clocklock(pthread_mutex_t* mutex, clockid_t clock,
                                       const timespec* deadline) {
  if (clock == CLOCK_REALTIME) return pthread_mutex_timedlock(mutex, deadline);
  timespec now{}, real_now{};
  clock_gettime(clock, &now);
  clock_gettime(CLOCK_REALTIME, &real_now);
  long long remaining = Nanos(*deadline) - Nanos(now);
  if (remaining < 0) remaining = 0;
  const long long real_deadline = Nanos(real_now) + remaining;
  const timespec real{static_cast<time_t>(real_deadline / kNanosPerSecond),
                      static_cast<long>(real_deadline % kNanosPerSecond)};
  return pthread_mutex_timedlock(mutex, &real);
}
