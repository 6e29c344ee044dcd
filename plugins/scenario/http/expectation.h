// What a right answer to one request of an `http` scenario is (its `expect` table), and the
// response_check that judges a response against it as the body streams in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <shootout/sdk/options.h>
#include <shootout/sdk/scenario.h>

struct evp_md_ctx_st;

namespace shootout::http_scenario {

/// The numbers a request carried, which an expectation's {seq} and {rand} stand for.
struct request_numbers {
    std::uint64_t seq = 0;
    std::uint64_t rand = 0;  ///< the request's first {rand:A:B}
};

struct expectation {
    std::vector<std::int64_t> statuses{200};
    std::string media_type;               ///< "" to not check
    std::optional<std::uint64_t> size;    ///< expect.size, or the length of a literal expect.body
    std::optional<std::string> body, body_contains;  ///< with {seq} and {rand} unreplaced
    std::string sha256;                   ///< lowercase hex, "" to not check
    std::optional<boost::json::value> json;
    bool uses_seq = false, uses_rand = false;  ///< whether any of it holds {seq} or {rand}

    /// From a validated `expect` table; throws sdk::config_error naming the key (its path in
    /// the plugin's options, "request[1].expect.sha256").
    static expectation from(const sdk::option_values& expect);
    /// Whether the body must be collected to judge it (rather than streamed).
    bool collects() const { return body || body_contains || json; }
};

/// Judges responses against one request's expectation at a time: arm() before each request
/// (no allocation), then begin/on_body/end from the host. `label` prefixes its verdicts
/// ("request 'user': ") when a scenario has several requests. Buffers are reused.
class http_check final : public sdk::response_check {
public:
    explicit http_check(std::size_t max_body);
    ~http_check() override;
    http_check(const http_check&) = delete;
    http_check& operator=(const http_check&) = delete;

    void arm(const expectation& e, const std::string& label, request_numbers numbers) noexcept {
        expect_ = &e;
        label_ = &label;
        numbers_ = numbers;
    }
    void begin(const sdk::response_head& head) override;
    void on_body(std::string_view chunk) override;
    sdk::verdict end() override;

private:
    std::string judge();  // "" when right
    std::string substituted(const std::string& text) const;

    std::size_t max_body_;
    const expectation* expect_ = nullptr;
    const std::string* label_ = nullptr;
    request_numbers numbers_;
    unsigned status_ = 0;
    std::string content_type_, body_;
    std::uint64_t size_ = 0;
    bool overflow_ = false;
    evp_md_ctx_st* digest_ = nullptr;  // OpenSSL's EVP_MD_CTX, made once
};

/// Whether `actual` holds `expected` (every member of an expected object, arrays element by
/// element, numbers by value, "{seq}" and "{rand}" as the request's numbers). Returns "" when
/// it does, else what differs and where ("$.user.id is 7, expected 42").
std::string json_subset_problem(const boost::json::value& expected, const boost::json::value& actual,
                                request_numbers numbers, const std::string& where = "$");

/// `text` with every "{seq}" and "{rand}" replaced by the numbers, unpadded.
std::string replace_numbers(const std::string& text, request_numbers numbers);

}  // namespace shootout::http_scenario
