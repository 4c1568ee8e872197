// A response of Prometheus's /api/v1/query. An input may start with "<status>\n" (three
// digits) to give the HTTP status; otherwise it is a 200 body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "actions/gates/prometheus_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  long status = 200;
  if (body.size() >= 4 && body[3] == '\n' && body.find_first_not_of("0123456789") == 3) {
    status = std::stol(body.substr(0, 3));
    body.erase(0, 4);
  }
  cutover::ParseQueryResponse(status, body);
  return 0;
}
