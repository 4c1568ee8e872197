#include "plugins/transport/http_client.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace cutover {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct BodySink {
  std::string* body;
  std::size_t max_bytes;  // 0: no limit
  bool too_large = false;
};

// Returning less than was given makes curl abort the transfer (CURLE_WRITE_ERROR).
size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t n = size * count;
  if (sink->max_bytes != 0 && sink->body->size() + n > sink->max_bytes) {
    sink->too_large = true;
    return 0;
  }
  sink->body->append(data, n);
  return n;
}

}  // namespace

HttpClient::HttpClient() {
  GlobalInitOnce();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string HttpClient::FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  GlobalInitOnce();
  std::string out;
  for (const auto& [key, value] : fields) {
    char* k = curl_easy_escape(nullptr, key.data(), static_cast<int>(key.size()));
    char* v = curl_easy_escape(nullptr, value.data(), static_cast<int>(value.size()));
    if (!out.empty()) out.push_back('&');
    out += std::string(k) + "=" + v;
    curl_free(k);
    curl_free(v);
  }
  return out;
}

HttpClientResponse HttpClient::Get(const std::string& url,
                                   const std::vector<std::string>& headers) {
  return Perform(url, nullptr, "", headers);
}

HttpClientResponse HttpClient::Post(const std::string& url, const std::string& body,
                                    const std::string& content_type,
                                    const std::vector<std::string>& headers) {
  return Perform(url, &body, content_type, headers);
}

HttpClientResponse HttpClient::Perform(const std::string& url, const std::string* body,
                                       const std::string& content_type,
                                       const std::vector<std::string>& headers) {
  HttpClientResponse response;
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) {
    response.error = "curl_easy_init failed";
    return response;
  }
  // Reset per request but keep the handle, so its connection cache keeps keep-alive
  // connections open between requests.
  curl_easy_reset(curl);
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_slist* header_list = nullptr;
  for (const auto& h : headers) header_list = curl_slist_append(header_list, h.c_str());
  if (body != nullptr)
    header_list = curl_slist_append(header_list, ("Content-Type: " + content_type).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  BodySink sink{&response.body, max_body_bytes_, false};
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  if (code != CURLE_OK && sink.too_large) {
    response.body_too_large = true;
    response.error = "answer larger than " + std::to_string(max_body_bytes_) + " bytes, cut there";
    response.body.clear();
    return response;
  }
  if (code != CURLE_OK) {
    response.error = std::string(curl_easy_strerror(code));
    if (error_buffer[0] != '\0') response.error += ": " + std::string(error_buffer);
    // curl's text omits the system's reason ("Connection refused"), which operators know.
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    if (os_errno != 0)
      response.error += " (" + std::string(std::strerror(static_cast<int>(os_errno))) + ")";
    response.body.clear();
    return response;
  }
  response.ok = true;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) response.content_type = type;
  return response;
}

}  // namespace cutover
