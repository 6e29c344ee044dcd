// GET /db-read?id=N: one primary-key SELECT per request, ids drawn uniformly at random.
#include <charconv>

#include <boost/json/parse.hpp>

#include <shootout/sdk/http.h>
#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

// An id far beyond any row, for the correctness check's "unknown id" probe.
constexpr std::int64_t unknown_id = 2'000'000'000;

std::string_view json_kind(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::string: return "a string";
        case boost::json::kind::int64:
        case boost::json::kind::uint64: return "an integer";
        case boost::json::kind::double_: return "a float";
        case boost::json::kind::object: return "an object";
        case boost::json::kind::array: return "an array";
        case boost::json::kind::bool_: return "a boolean";
        default: return "null";
    }
}

// What one response must be: the row `id`, or one of the contract's errors.
struct expectation {
    std::int64_t id = 0;
    unsigned status = 200;  // 200 row, 404 not found, 400 invalid id
};

class db_read_check final : public small_body_check {
public:
    db_read_check(const expectation& expected, bool seed_names)
        : small_body_check(64 * 1024), expected_(expected), seed_names_(seed_names) {}

private:
    verdict judge(unsigned status, std::string_view content_type, std::string_view body) override {
        if (status != expected_.status)
            return verdict::fail("id " + describe_id() + ": status " + std::to_string(status) + ", expected " +
                                 std::to_string(expected_.status) + " (body " + excerpt(body) + ")");
        if (!media_type_is(content_type, "application/json"))
            return verdict::fail("content type '" + std::string(content_type) + "', expected application/json");
        boost::system::error_code ec;
        auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
        if (ec) return verdict::fail("body is not JSON (" + ec.message() + "): " + excerpt(body));
        const auto* row = doc.if_object();
        if (!row) return verdict::fail("body is not a JSON object: " + excerpt(body));
        if (expected_.status != 200) {
            const char* message = expected_.status == 404 ? "not found" : "invalid id";
            const auto* error = row->if_contains("error");
            if (!error || !error->is_string() || error->get_string() != message)
                return verdict::fail("id " + describe_id() + ": body " + excerpt(body) + ", expected {\"error\":\"" +
                                     message + "\"}");
            return verdict::pass();
        }
        for (const char* key : {"id", "name", "description", "price", "created_at"})
            if (!row->contains(key)) return verdict::fail(std::string("row has no '") + key + "': " + excerpt(body));
        const auto& id = row->at("id");
        if (!id.is_int64() && !id.is_uint64())
            return verdict::fail("'id' is " + std::string(json_kind(id)) + ", expected an integer: " + excerpt(body));
        if (id.to_number<std::int64_t>() != expected_.id)
            return verdict::fail("asked for id " + std::to_string(expected_.id) + ", got row " + excerpt(body));
        if (!row->at("name").is_string()) return verdict::fail("'name' is not a string: " + excerpt(body));
        if (seed_names_ && row->at("name").get_string() != "item-" + std::to_string(expected_.id))
            return verdict::fail("row " + std::to_string(expected_.id) + " is named " +
                                 std::string(row->at("name").get_string()) + ", expected item-" +
                                 std::to_string(expected_.id) + " (is the table seeded?)");
        if (!row->at("description").is_string()) return verdict::fail("'description' is not a string: " + excerpt(body));
        if (!row->at("price").is_number()) return verdict::fail("'price' is not a number: " + excerpt(body));
        const auto& created = row->at("created_at");
        if (!created.is_string() || created.get_string().size() < 19 || created.get_string()[4] != '-' ||
            created.get_string()[10] != 'T')
            return verdict::fail("'created_at' is not an ISO-8601 timestamp: " + excerpt(body));
        return verdict::pass();
    }

    std::string describe_id() const {
        return expected_.status == 400 ? "'abc'" : std::to_string(expected_.id);
    }

    const expectation& expected_;
    bool seed_names_;
};

class db_read_session final : public http_session {
public:
    db_read_session(const target& t, const std::string& path, std::int64_t min, std::int64_t max, std::uint64_t seed,
                    bool correctness, bool seed_names)
        : min_(min), span_(static_cast<std::uint64_t>(max - min + 1)), state_(seed | 1), correctness_(correctness),
          check_(expected_, seed_names) {
        // Everything but the id is fixed: "GET <path>?id=" + id + " HTTP/1.1\r\nHost: ...\r\n\r\n".
        const std::string head = request_head("GET", t, path + "?id=");
        const auto space = head.find(" HTTP/1.1");
        prefix_ = head.substr(0, space);
        suffix_ = head.substr(space);
        buffer_.reserve(prefix_.size() + 24 + suffix_.size());
    }

    wire_request next_request() override {
        // The correctness check asks for the first and last rows, then probes both errors.
        std::string_view id_text;
        char digits[24];
        if (correctness_ && probe_ == 3) {
            expected_ = {0, 400};
            id_text = "abc";
        } else {
            if (correctness_ && probe_ < 3) {
                expected_.id = probe_ == 0 ? min_ : probe_ == 1 ? min_ + static_cast<std::int64_t>(span_) - 1 : unknown_id;
                expected_.status = probe_ == 2 ? 404 : 200;
            } else {
                expected_ = {min_ + static_cast<std::int64_t>(uniform()), 200};
            }
            auto [end, ec] = std::to_chars(digits, digits + sizeof digits, expected_.id);
            id_text = std::string_view(digits, static_cast<std::size_t>(end - digits));
        }
        ++probe_;
        buffer_.assign(prefix_).append(id_text).append(suffix_);  // within reserved capacity: no allocation
        return {{buffer_}, 1};
    }
    response_check& check() override { return check_; }
    response_expectation expected() const override { return {"application/json", std::nullopt}; }

private:
    // Uniform in [0, span): xorshift64* and Lemire's multiply-shift, cheap and deterministic.
    std::uint64_t uniform() {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        const std::uint64_t r = state_ * 0x2545F4914F6CDD1DULL;
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(r) * span_) >> 64);
    }

    std::int64_t min_;
    std::uint64_t span_;
    std::uint64_t state_;
    bool correctness_;
    unsigned probe_ = 0;
    expectation expected_;
    std::string prefix_, suffix_, buffer_;
    db_read_check check_;
};

class db_read final : public scenario {
public:
    static constexpr std::array<option_spec, 4> options{{
        {"path", option_type::string, "/db-read", "request path; the id goes in the query string"},
        {"id_min", option_type::integer, "1", "smallest id drawn"},
        {"id_max", option_type::integer, "1000", "largest id drawn"},
        {"check_seed_names", option_type::boolean, "true", "verify that row N is named item-N, as seeded"},
    }};

    explicit db_read(const plugin_context& context)
        : path_(context.options.string("path")),
          min_(context.options.integer("id_min")),
          max_(context.options.integer("id_max")),
          seed_names_(context.options.boolean("check_seed_names")) {
        if (path_.empty() || path_.front() != '/') throw config_error("path", "must start with '/'");
        if (min_ < 1) throw config_error("id_min", "must be at least 1");
        if (max_ < min_) throw config_error("id_max", "must be at least id_min (" + std::to_string(min_) + ")");
        if (max_ >= unknown_id) throw config_error("id_max", "must be below " + std::to_string(unknown_id));
    }

    shootout::sdk::transport transport() const override { return transport::http; }
    void prepare(const target& t) override { target_ = t; }
    unsigned correctness_requests() const override { return 4; }
    std::unique_ptr<http_session> open_http_session(const session_context& c) const override {
        return std::make_unique<db_read_session>(target_, path_, min_, max_, c.seed,
                                                 c.role == session_role::correctness_check, seed_names_);
    }

private:
    std::string path_;
    std::int64_t min_, max_;
    bool seed_names_;
    target target_;
};

}  // namespace

SHOOTOUT_REGISTER_SCENARIO(db_read, "db-read", "1.0.0",
                           "GET /db-read?id=N, N uniform in [id_min, id_max]: the row, checked field by field")
