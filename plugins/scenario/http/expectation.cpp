#include "expectation.h"

#include <openssl/evp.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <shootout/sdk/http.h>

namespace shootout::http_scenario {
namespace {

using sdk::config_error;

bool holds_numbers(const std::string& text, const char* name) { return text.find(name) != std::string::npos; }

void read_statuses(const sdk::option_values& e, expectation& out) {
    out.statuses = e.integer_list("status");
    if (out.statuses.empty()) throw config_error(e.key_path("status"), "must list at least one status, like [200]");
    for (auto s : out.statuses)
        if (s < 200 || s > 299)
            throw config_error(e.key_path("status"),
                               "holds " + std::to_string(s) +
                                   "; each status must be from 200 to 299, because under load any other status is "
                                   "counted as an error on every response");
}

void read_media_type(const sdk::option_values& e, expectation& out) {
    out.media_type = e.string("content_type");
    if (!e.given("content_type")) return;
    const auto slash = out.media_type.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == out.media_type.size() ||
        out.media_type.find_first_of("; \t") != std::string::npos)
        throw config_error(e.key_path("content_type"),
                           "must be a media type, type/subtype without parameters, like application/json (found '" +
                               out.media_type + "')");
}

void read_sha256(const sdk::option_values& e, expectation& out) {
    if (!e.given("sha256")) return;
    std::string hex = e.string("sha256");
    for (char& c : hex) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            throw config_error(e.key_path("sha256"), "must be 64 hexadecimal digits (the body's SHA-256), found '" +
                                                         e.string("sha256") + "'");
    }
    if (hex.size() != 64)
        throw config_error(e.key_path("sha256"), "must be 64 hexadecimal digits (the body's SHA-256), found " +
                                                     std::to_string(hex.size()));
    out.sha256 = std::move(hex);
}

void read_bodies(const sdk::option_values& e, expectation& out) {
    if (e.given("body")) {
        out.body = e.string("body");
        out.uses_seq |= holds_numbers(*out.body, "{seq}");
        out.uses_rand |= holds_numbers(*out.body, "{rand}");
    }
    if (e.given("body_contains")) {
        out.body_contains = e.string("body_contains");
        if (out.body_contains->empty()) throw config_error(e.key_path("body_contains"), "is empty, which every body contains");
        out.uses_seq |= holds_numbers(*out.body_contains, "{seq}");
        out.uses_rand |= holds_numbers(*out.body_contains, "{rand}");
    }
    if (e.given("size")) out.size = e.size("size");
    const bool literal_body = out.body && !holds_numbers(*out.body, "{seq}") && !holds_numbers(*out.body, "{rand}");
    if (literal_body && out.size && *out.size != out.body->size())
        throw config_error(e.key_path("size"), "is " + std::to_string(*out.size) + " bytes, but expect.body is " +
                                                   std::to_string(out.body->size()) + "; give one of them");
    if (literal_body) out.size = out.body->size();  // then checked on every response, not only the sample
}

void read_json(const sdk::option_values& e, expectation& out) {
    const std::string& text = e.string("json");
    if (text.empty()) return;
    boost::system::error_code ec;
    out.json = boost::json::parse(text, ec);
    if (ec) throw config_error(e.key_path("json"), "is not a value JSON can hold (" + ec.message() + ")");
    out.uses_seq |= holds_numbers(text, "{seq}");
    out.uses_rand |= holds_numbers(text, "{rand}");
}

std::string shown(const boost::json::value& v) {
    std::string text = boost::json::serialize(v);
    return text.size() > 60 ? text.substr(0, 60) + "..." : text;
}

bool digits_of_number(const boost::json::string& s, std::uint64_t n) {
    if (s.empty() || s.size() > 20) return false;
    std::uint64_t value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value == n;
}

// "{seq}" (or "{rand}") alone: the number as a JSON integer, or as a string of its digits.
std::string number_problem(const boost::json::value& actual, std::uint64_t n, const std::string& where) {
    if (actual.is_uint64() && actual.get_uint64() == n) return {};
    if (actual.is_int64() && actual.get_int64() >= 0 && static_cast<std::uint64_t>(actual.get_int64()) == n) return {};
    if (actual.is_string() && digits_of_number(actual.get_string(), n)) return {};
    return where + " is " + shown(actual) + ", expected " + std::to_string(n);
}

bool same_number(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const auto& signed_one = a.is_int64() ? a : b;  // one int64, one uint64
    const auto& unsigned_one = a.is_int64() ? b : a;
    return signed_one.get_int64() >= 0 && static_cast<std::uint64_t>(signed_one.get_int64()) == unsigned_one.get_uint64();
}

}  // namespace

expectation expectation::from(const sdk::option_values& e) {
    expectation out;
    read_statuses(e, out);
    read_media_type(e, out);
    read_sha256(e, out);
    read_bodies(e, out);
    read_json(e, out);
    return out;
}

std::string replace_numbers(const std::string& text, request_numbers numbers) {
    std::string out;
    out.reserve(text.size() + 16);
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 5, "{seq}") == 0) {
            out += std::to_string(numbers.seq);
            i += 5;
        } else if (text.compare(i, 6, "{rand}") == 0) {
            out += std::to_string(numbers.rand);
            i += 6;
        } else {
            out += text[i++];
        }
    }
    return out;
}

std::string json_subset_problem(const boost::json::value& expected, const boost::json::value& actual,
                                request_numbers numbers, const std::string& where) {
    if (const auto* text = expected.if_string()) {
        if (*text == "{seq}") return number_problem(actual, numbers.seq, where);
        if (*text == "{rand}") return number_problem(actual, numbers.rand, where);
        const std::string want = replace_numbers(std::string(*text), numbers);
        if (actual.is_string() && actual.get_string() == want) return {};
        return where + " is " + shown(actual) + ", expected " + shown(boost::json::value(want));
    }
    if (expected.is_number()) {
        if (actual.is_number() && same_number(expected, actual)) return {};
        return where + " is " + shown(actual) + ", expected " + shown(expected);
    }
    if (const auto* object = expected.if_object()) {
        const auto* got = actual.if_object();
        if (!got) return where + " is " + shown(actual) + ", expected an object";
        for (const auto& [key, value] : *object) {
            const auto* member = got->if_contains(key);
            const std::string path = where + "." + std::string(key);
            if (!member) return path + " is missing";
            if (auto problem = json_subset_problem(value, *member, numbers, path); !problem.empty()) return problem;
        }
        return {};
    }
    if (const auto* array = expected.if_array()) {
        const auto* got = actual.if_array();
        if (!got) return where + " is " + shown(actual) + ", expected an array";
        if (got->size() != array->size())
            return where + " has " + std::to_string(got->size()) + " elements, expected " + std::to_string(array->size());
        for (std::size_t i = 0; i < array->size(); ++i)
            if (auto problem = json_subset_problem((*array)[i], (*got)[i], numbers, where + "[" + std::to_string(i) + "]");
                !problem.empty())
                return problem;
        return {};
    }
    if (expected == actual) return {};  // booleans (TOML has no null)
    return where + " is " + shown(actual) + ", expected " + shown(expected);
}

http_check::http_check(std::size_t max_body) : max_body_(max_body), digest_(EVP_MD_CTX_new()) {
    if (!digest_) throw std::bad_alloc();
    body_.reserve(std::min<std::size_t>(max_body, 4096));
}

http_check::~http_check() { EVP_MD_CTX_free(digest_); }

void http_check::begin(const sdk::response_head& head) {
    status_ = head.status;
    content_type_.assign(head.content_type);
    body_.clear();
    size_ = 0;
    overflow_ = false;
    if (!expect_->sha256.empty()) EVP_DigestInit_ex(digest_, EVP_sha256(), nullptr);
}

void http_check::on_body(std::string_view chunk) {
    size_ += chunk.size();
    if (!expect_->sha256.empty()) EVP_DigestUpdate(digest_, chunk.data(), chunk.size());
    if (!expect_->collects() || overflow_) return;
    if (body_.size() + chunk.size() > max_body_) overflow_ = true;
    else body_.append(chunk);
}

sdk::verdict http_check::end() {
    std::string problem = judge();
    if (problem.empty()) return sdk::verdict::pass();
    return sdk::verdict::fail(label_->empty() ? problem : "request '" + *label_ + "': " + problem);
}

std::string http_check::substituted(const std::string& text) const { return replace_numbers(text, numbers_); }

std::string http_check::judge() {
    const auto& e = *expect_;
    bool status_ok = false;
    for (auto s : e.statuses) status_ok |= static_cast<unsigned>(s) == status_;
    if (!status_ok) {
        std::string list;
        for (auto s : e.statuses) list += (list.empty() ? "" : ", ") + std::to_string(s);
        return "status " + std::to_string(status_) + ", expected " + (e.statuses.size() == 1 ? list : "one of " + list);
    }
    if (!e.media_type.empty() && !sdk::media_type_is(content_type_, e.media_type))
        return "content type '" + content_type_ + "', expected " + e.media_type;
    if (e.size && size_ != *e.size)
        return "body of " + std::to_string(size_) + " bytes, expected " + std::to_string(*e.size);
    if (!e.sha256.empty()) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned length = 0;
        EVP_DigestFinal_ex(digest_, digest, &length);
        static constexpr char hex[] = "0123456789abcdef";
        std::string got;
        for (unsigned i = 0; i < length; ++i) got += {hex[digest[i] >> 4], hex[digest[i] & 15]};
        if (got != e.sha256) return "body's sha256 is " + got + ", expected " + e.sha256;
    }
    if (overflow_)
        return "body is longer than max_body (" + std::to_string(max_body_) + " bytes), too long to judge";
    if (e.body && body_ != substituted(*e.body))
        return "body " + sdk::excerpt(body_) + ", expected " + sdk::excerpt(substituted(*e.body));
    if (e.body_contains && body_.find(substituted(*e.body_contains)) == std::string::npos)
        return "body " + sdk::excerpt(body_) + " does not contain " + sdk::excerpt(substituted(*e.body_contains));
    if (e.json) {
        boost::system::error_code ec;
        const auto doc = boost::json::parse(body_, ec);
        if (ec) return "body is not JSON (" + ec.message() + "): " + sdk::excerpt(body_);
        if (auto problem = json_subset_problem(*e.json, doc, numbers_); !problem.empty()) return problem;
    }
    return {};
}

}  // namespace shootout::http_scenario
