#pragma once

#include "plugins/core/descriptor.h"
#include "plugins/transport/ssh_transport.h"

namespace cutover {

// SSH options for a configured member: its address and its credentials' user, key and
// known_hosts file. The one way SSH drivers and host-key enrolment reach a member.
// Throws std::runtime_error saying what is missing (the caller adds the member's
// file:line).
SshOptions SshOptionsForMember(const MemberConfig& member, Duration connect_timeout);

}  // namespace cutover
