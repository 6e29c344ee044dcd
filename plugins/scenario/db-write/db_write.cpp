// POST /db-write: one INSERT per request, with the original suite's JSON body and a unique name.
#include <cstdio>
#include <cstring>

#include <boost/json/parse.hpp>

#include <shootout/sdk/http.h>
#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

class db_write_check final : public small_body_check {
public:
    explicit db_write_check(const bool& expect_invalid) : small_body_check(4096), expect_invalid_(expect_invalid) {}

private:
    verdict judge(unsigned status, std::string_view content_type, std::string_view body) override {
        const unsigned want = expect_invalid_ ? 400 : 201;
        if (status != want)
            return verdict::fail(std::string(expect_invalid_ ? "a body that is not JSON" : "a valid row") + ": status " +
                                 std::to_string(status) + ", expected " + std::to_string(want) + " (body " +
                                 excerpt(body) + ")");
        if (!media_type_is(content_type, "application/json"))
            return verdict::fail("content type '" + std::string(content_type) + "', expected application/json");
        boost::system::error_code ec;
        auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
        if (ec || !doc.is_object()) return verdict::fail("body is not a JSON object: " + excerpt(body));
        const auto& object = doc.get_object();
        if (expect_invalid_) {
            const auto* error = object.if_contains("error");
            if (!error || !error->is_string() || error->get_string() != "invalid body")
                return verdict::fail("body " + excerpt(body) + ", expected {\"error\":\"invalid body\"}");
            return verdict::pass();
        }
        const auto* id = object.if_contains("id");
        if (!id || !(id->is_int64() || id->is_uint64()) || id->to_number<std::int64_t>() < 1)
            return verdict::fail("body " + excerpt(body) + ", expected {\"id\":<positive integer>}");
        return verdict::pass();
    }

    const bool& expect_invalid_;
};

class db_write_session final : public http_session {
public:
    // The name is "bench-item-<seed>-<counter>" with fixed-width fields, so the body length, and
    // with it the whole head, never changes: each request only rewrites the counter's digits.
    db_write_session(const target& t, const std::string& path, std::uint64_t seed, bool correctness)
        : correctness_(correctness), check_(invalid_) {
        char name[64];
        std::snprintf(name, sizeof name, "bench-item-%016llx-", static_cast<unsigned long long>(seed));
        body_ = std::string(R"({"name":")") + name + std::string(counter_digits, '0') +
                R"(","description":"benchmark","price":42.00})";
        counter_at_ = body_.find('"', 9) - counter_digits;
        head_ = request_head("POST", t, path, "Content-Type: application/json\r\n", body_.size(), true);
        invalid_head_ = request_head("POST", t, path, "Content-Type: application/json\r\n", invalid_body.size(), true);
    }

    wire_request next_request() override {
        // The correctness check sends one row, then one body that is not JSON (expects 400).
        invalid_ = correctness_ && sent_ == 1;
        ++sent_;
        if (invalid_) return {{invalid_head_, invalid_body}, 2};
        std::uint64_t n = ++counter_;
        for (std::size_t i = counter_digits; i-- > 0; n /= 10) body_[counter_at_ + i] = static_cast<char>('0' + n % 10);
        return {{head_, body_}, 2};
    }
    response_check& check() override { return check_; }
    response_expectation expected() const override { return {"application/json", std::nullopt}; }

private:
    static constexpr std::size_t counter_digits = 12;
    static constexpr std::string_view invalid_body = "this is not json";

    bool correctness_;
    bool invalid_ = false;
    std::uint64_t sent_ = 0, counter_ = 0;
    std::string head_, invalid_head_, body_;
    std::size_t counter_at_ = 0;
    db_write_check check_;
};

class db_write final : public scenario {
public:
    static constexpr std::array<option_spec, 1> options{{
        {"path", option_type::string, "/db-write", "request path"},
    }};

    explicit db_write(const plugin_context& context) : path_(context.options.string("path")) {
        if (path_.empty() || path_.front() != '/') throw config_error("path", "must start with '/'");
    }

    shootout::sdk::transport transport() const override { return transport::http; }
    void prepare(const target& t) override { target_ = t; }
    unsigned correctness_requests() const override { return 2; }
    std::unique_ptr<http_session> open_http_session(const session_context& c) const override {
        return std::make_unique<db_write_session>(target_, path_, c.seed, c.role == session_role::correctness_check);
    }

private:
    std::string path_;
    target target_;
};

}  // namespace

SHOOTOUT_REGISTER_SCENARIO(db_write, "db-write", "1.0.0",
                           "POST /db-write with a JSON row, unique names: 201 {\"id\":N}")
