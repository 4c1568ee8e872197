// Reaches into a Journal for tests that simulate a failing disk (tests of the journal and
// of what the daemon reports once its journal has failed).
#pragma once

#include "actions/journal/journal.h"

namespace cutover {

class JournalTestPeer {
 public:
  // Replaces fdatasync; `sync` may fail (set errno, return -1) or stall.
  static void SetSync(Journal& journal, Journal::SyncFunction sync) { journal.sync_ = sync; }
};

}  // namespace cutover
