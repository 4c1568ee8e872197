#include "plugins/transport/ssh_member.h"

#include <stdexcept>

namespace cutover {

SshOptions SshOptionsForMember(const MemberConfig& member, Duration connect_timeout) {
  SshOptions ssh;
  if (!ParseSshAddress(member.address, &ssh))
    throw std::runtime_error("address '" + member.address +
                             "' is not host, host:port or [v6]:port");
  const Credentials& c = member.credentials;
  if (c.user.empty() || c.identity_file.empty() || c.known_hosts_file.empty())
    throw std::runtime_error("credentials \"" + c.name +
                             "\" need user, identity_file and known_hosts_file for SSH");
  ssh.user = c.user;
  ssh.identity_file = c.identity_file;
  ssh.known_hosts_file = c.known_hosts_file;
  ssh.connect_timeout = connect_timeout;
  return ssh;
}

}  // namespace cutover
