// Small helpers for HTTP scenario plugins: building a request head and judging a response.
// Header-only; nothing here runs on the host's side.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "scenario.h"

namespace shootout::sdk {

/// Builds an HTTP/1.1 request head: request line, Host, `extra_headers` (zero or more complete
/// "Name: value\r\n" lines), Content-Length when a body follows, blank line. Nothing else: like
/// wrk's, the request is as small as HTTP/1.1 allows, so the server parses no more than it must.
inline std::string request_head(std::string_view method, const target& t, std::string_view path,
                                std::string_view extra_headers = {}, std::uint64_t body_size = 0,
                                bool has_body = false) {
    std::string head;
    head.reserve(128 + t.path_prefix.size() + path.size() + extra_headers.size());
    head.append(method).append(" ").append(t.path_prefix).append(path).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(t.host_header).append("\r\n");
    head.append(extra_headers);
    if (has_body) head.append("Content-Length: ").append(std::to_string(body_size)).append("\r\n");
    head.append("\r\n");
    return head;
}

/// True if a Content-Type value names `media_type` ("text/plain"), ignoring case and any
/// parameters (";charset=utf-8").
inline bool media_type_is(std::string_view content_type, std::string_view media_type) {
    auto semicolon = content_type.find(';');
    std::string_view type = content_type.substr(0, semicolon);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    return type.size() == media_type.size() &&
           std::equal(type.begin(), type.end(), media_type.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
}

/// Shows a body excerpt in a message: printable, at most `limit` bytes, quoted.
inline std::string excerpt(std::string_view body, std::size_t limit = 80) {
    std::string text = "'";
    for (char c : body.substr(0, limit)) text += (c >= 32 && c < 127) ? c : '?';
    text += body.size() > limit ? "'..." : "'";
    return text;
}

/// A response_check that collects a small body (up to `limit` bytes) and hands it, with the
/// head, to judge(). Its buffer is allocated once and reused, so checking allocates nothing
/// unless a check fails. For large bodies, implement response_check directly and stream.
class small_body_check : public response_check {
public:
    explicit small_body_check(std::size_t limit = 64 * 1024) : limit_(limit) { body_.reserve(std::min<std::size_t>(limit, 4096)); }

    void begin(const response_head& head) override {
        status_ = head.status;
        content_type_.assign(head.content_type);
        body_.clear();
        overflow_ = false;
    }
    void on_body(std::string_view chunk) override {
        if (body_.size() + chunk.size() > limit_) { overflow_ = true; return; }
        body_.append(chunk);
    }
    verdict end() override {
        if (overflow_) return verdict::fail("body is longer than " + std::to_string(limit_) + " bytes");
        return judge(status_, content_type_, body_);
    }

protected:
    /// Called once per response with everything collected.
    virtual verdict judge(unsigned status, std::string_view content_type, std::string_view body) = 0;

private:
    std::size_t limit_;
    unsigned status_ = 0;
    std::string content_type_;
    std::string body_;
    bool overflow_ = false;
};

}  // namespace shootout::sdk
