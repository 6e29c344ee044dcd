// GET /ping: the smallest request a framework can answer, so it measures per-request overhead.
#include <shootout/sdk/http.h>
#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

class ping_check final : public small_body_check {
public:
    ping_check() : small_body_check(256) {}

private:
    verdict judge(unsigned status, std::string_view content_type, std::string_view body) override {
        if (status != 200) return verdict::fail("status " + std::to_string(status) + ", expected 200");
        if (!media_type_is(content_type, "text/plain"))
            return verdict::fail("content type '" + std::string(content_type) + "', expected text/plain");
        if (body != "pong") return verdict::fail("body " + excerpt(body) + ", expected 'pong'");
        return verdict::pass();
    }
};

class ping_session final : public http_session {
public:
    explicit ping_session(std::string_view request) : request_(request) {}
    wire_request next_request() override { return {{request_}, 1}; }
    response_check& check() override { return check_; }
    response_expectation expected() const override { return {"text/plain", 4}; }  // "pong", on every response

private:
    std::string_view request_;
    ping_check check_;
};

class ping final : public scenario {
public:
    static constexpr std::array<option_spec, 1> options{{
        {"path", option_type::string, "/ping", "request path, appended to the framework's URL"},
    }};

    explicit ping(const plugin_context& context) : path_(context.options.string("path")) {
        if (path_.empty() || path_.front() != '/') throw config_error("path", "must start with '/'");
    }

    shootout::sdk::transport transport() const override { return transport::http; }
    void prepare(const target& t) override { request_ = request_head("GET", t, path_); }
    std::unique_ptr<http_session> open_http_session(const session_context&) const override {
        return std::make_unique<ping_session>(request_);
    }

private:
    std::string path_;
    std::string request_;  // serialised once in prepare(), sent as is by every connection
};

}  // namespace

SHOOTOUT_REGISTER_SCENARIO(ping, "ping", "1.0.0", "GET /ping: 200 text/plain 'pong' (per-request overhead)")
