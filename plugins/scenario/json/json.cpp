// GET /json: a small JSON document serialised per request.
#include <boost/json/parse.hpp>

#include <shootout/sdk/http.h>
#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

// "2026-11-28T07:38:51.123456+00:00" or "...Z": a date, a time and an offset, as the contract asks.
bool iso8601_with_offset(std::string_view ts) {
    auto digits = [&](std::size_t at, std::size_t n) {
        if (at + n > ts.size()) return false;
        for (std::size_t i = at; i < at + n; ++i)
            if (ts[i] < '0' || ts[i] > '9') return false;
        return true;
    };
    if (!(digits(0, 4) && ts.size() > 19 && ts[4] == '-' && digits(5, 2) && ts[7] == '-' && digits(8, 2) &&
          (ts[10] == 'T' || ts[10] == ' ') && digits(11, 2) && ts[13] == ':' && digits(14, 2) && ts[16] == ':' &&
          digits(17, 2)))
        return false;
    std::size_t i = 19;
    if (i < ts.size() && ts[i] == '.') {
        ++i;
        const std::size_t start = i;
        while (i < ts.size() && ts[i] >= '0' && ts[i] <= '9') ++i;
        if (i == start) return false;
    }
    const std::string_view offset = ts.substr(i);
    if (offset == "Z") return true;
    return offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') && digits(i + 1, 2) && offset[3] == ':' &&
           digits(i + 4, 2);
}

class json_check final : public small_body_check {
public:
    json_check() : small_body_check(4096) {}

private:
    verdict judge(unsigned status, std::string_view content_type, std::string_view body) override {
        if (status != 200) return verdict::fail("status " + std::to_string(status) + ", expected 200");
        if (!media_type_is(content_type, "application/json"))
            return verdict::fail("content type '" + std::string(content_type) + "', expected application/json");
        boost::system::error_code ec;
        auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
        if (ec) return verdict::fail("body is not JSON (" + ec.message() + "): " + excerpt(body));
        const auto* object = doc.if_object();
        if (!object || object->size() != 2)
            return verdict::fail("body must be an object with exactly 'message' and 'ts': " + excerpt(body));
        const auto* message = object->if_contains("message");
        if (!message || !message->is_string() || message->get_string() != "hello")
            return verdict::fail("'message' must be \"hello\": " + excerpt(body));
        const auto* ts = object->if_contains("ts");
        if (!ts || !ts->is_string() || !iso8601_with_offset(ts->get_string()))
            return verdict::fail("'ts' must be an ISO-8601 timestamp with an offset: " + excerpt(body));
        return verdict::pass();
    }
};

class json_session final : public http_session {
public:
    explicit json_session(std::string_view request) : request_(request) {}
    wire_request next_request() override { return {{request_}, 1}; }
    response_check& check() override { return check_; }
    response_expectation expected() const override { return {"application/json", std::nullopt}; }

private:
    std::string_view request_;
    json_check check_;
};

class json_scenario final : public scenario {
public:
    static constexpr std::array<option_spec, 1> options{{
        {"path", option_type::string, "/json", "request path, appended to the framework's URL"},
    }};

    explicit json_scenario(const plugin_context& context) : path_(context.options.string("path")) {
        if (path_.empty() || path_.front() != '/') throw config_error("path", "must start with '/'");
    }

    shootout::sdk::transport transport() const override { return transport::http; }
    void prepare(const target& t) override { request_ = request_head("GET", t, path_); }
    std::unique_ptr<http_session> open_http_session(const session_context&) const override {
        return std::make_unique<json_session>(request_);
    }

private:
    std::string path_;
    std::string request_;
};

}  // namespace

SHOOTOUT_REGISTER_SCENARIO(json_scenario, "json", "1.0.0",
                           "GET /json: 200 application/json {\"message\":\"hello\",\"ts\":ISO-8601}")
