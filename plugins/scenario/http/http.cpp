// An endpoint described in the manifest: method, path with fixed-width placeholders, headers,
// a body (inline, from a file or a template) and what a right answer is; several requests per
// scenario, taken in turn or by weight. Requests are serialised once in prepare(); a session
// copies the ones with placeholders once and only overwrites their digits per request.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <utility>

#include <boost/json/parse.hpp>
#include <shootout/sdk/http.h>
#include <shootout/sdk/plugin.h>

#include "expectation.h"
#include "placeholders.h"

namespace {

using namespace shootout::sdk;
using shootout::http_scenario::expectation;
using shootout::http_scenario::http_check;
using shootout::http_scenario::placeholder;
using shootout::http_scenario::request_numbers;
using shootout::http_scenario::templated;

constexpr std::array<option_spec, 7> expect_fields{{
    {"status", option_type::integer_list, "200", "the statuses that are right, each 200 to 299"},
    {"content_type", option_type::string, "", "the Content-Type's media type, checked on every response"},
    {"size", option_type::size, "0", "the body's exact length, checked on every response"},
    {"body", option_type::string, "", "the exact body ({seq} and {rand} replaced)"},
    {"body_contains", option_type::string, "", "a string the body contains ({seq} and {rand} replaced)"},
    {"sha256", option_type::string, "", "the body's SHA-256, 64 hex digits"},
    {"json", option_type::json, "", "a JSON subset the body holds (\"{seq}\" and \"{rand}\" for the request's numbers)"},
}};

#define SHOOTOUT_HTTP_REQUEST_KEYS                                                                                    \
    {"method", option_type::string, "GET", "request method"},                                                     \
        {"path", option_type::string, "", "request path with placeholders {seq:W} and {rand:A:B}"},               \
        {"headers", option_type::json, "", "extra request headers, a table of strings (values may hold placeholders)"}, \
        {"body", option_type::string, "", "request body, sent as is"},                                            \
        {"body_file", option_type::string, "", "request body from this file (relative to the manifest)"},        \
        {"body_template", option_type::string, "", "request body with placeholders"},                            \
        {"expect", option_type::table, "", "what a right answer is", expect_fields.data(), expect_fields.size()}

constexpr std::array<option_spec, 9> request_fields{{
    {"name", option_type::string, "", "the request's name in messages (default request-N)"},
    {"weight", option_type::integer, "1", "its share with order = \"weighted\""},
    SHOOTOUT_HTTP_REQUEST_KEYS,
}};

const std::array<std::string, 3> body_keys{"body", "body_file", "body_template"};

bool token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), token_char); }

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// One request as the options describe it, before it is serialised against a target.
struct request_def {
    std::string label;  // "" when the scenario has one request: its messages need no name
    std::string method;
    templated path;
    std::vector<std::pair<std::string, templated>> headers;
    bool has_body = false;
    std::string literal_body;  // body or body_file: sent from here, never copied
    templated body_template;
    std::int64_t weight = 1;
    expectation expect;
};

// Reads a value from the request's own options when it gives it, else from the scenario's.
struct layered {
    const option_values& own;
    const option_values& top;
    const option_values& of(const std::string& key) const { return own.given(key) ? own : top; }
};

std::string read_body_file(const option_values& from, std::string_view manifest_dir) {
    const std::string& name = from.string("body_file");
    const std::string file = name.front() == '/' || manifest_dir.empty() ? name : std::string(manifest_dir) + "/" + name;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw config_error(from.key_path("body_file"), "cannot read '" + file + "': " + std::strerror(errno));
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void read_method_and_path(const layered& o, request_def& r) {
    const auto& m = o.of("method");
    r.method = m.string("method");
    if (!is_token(r.method))
        throw config_error(m.key_path("method"), "must be an HTTP method, a token like GET or POST (found '" + r.method + "')");
    // The answer to HEAD or CONNECT has a Content-Length without its body, which the client's
    // parser, not told what was asked, would wait for.
    if (r.method == "HEAD" || r.method == "CONNECT")
        throw config_error(m.key_path("method"), "cannot be " + r.method + ": its answer carries no body that its "
                                                 "headers announce, which the client cannot tell apart from a server "
                                                 "that stopped; measure GET instead");
    const auto& p = o.of("path");
    const std::string& path = p.string("path");
    if (path.empty() || path.front() != '/') throw config_error(p.key_path("path"), "must start with '/'");
    if (std::any_of(path.begin(), path.end(), [](char c) { return c <= ' ' || c == 127; }))
        throw config_error(p.key_path("path"), "holds a space or a control character; percent-encode it (%20)");
    if (auto problem = parse_template(path, r.path); !problem.empty()) throw config_error(p.key_path("path"), problem);
}

void read_headers(const layered& o, request_def& r) {
    const auto& h = o.of("headers");
    const std::string& text = h.string("headers");
    if (text.empty()) return;
    const auto doc = boost::json::parse(text);
    const auto* table = doc.if_object();
    if (!table) throw config_error(h.key_path("headers"), "must be a table of strings, like { Accept = \"text/html\" }");
    for (const auto& [key, value] : *table) {
        const std::string name(key);
        const std::string where = h.key_path("headers") + "." + name;
        if (!is_token(name)) throw config_error(where, "is not a header name (letters, digits and !#$%&'*+-.^_`|~)");
        for (const char* own : {"Host", "Content-Length", "Transfer-Encoding", "Connection"})
            if (same_name(name, own))
                throw config_error(where, std::string("is set by the client itself") +
                                              (same_name(name, "Connection") ? "; choose the connection mode with keep_alive"
                                                                             : "; remove it"));
        if (!value.is_string()) throw config_error(where, "must be a string");
        const std::string v(value.get_string());
        if (v.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
            throw config_error(where, "holds a line break (CR or LF) or NUL, which would split the request");
        templated t;
        if (auto problem = parse_template(v, t); !problem.empty()) throw config_error(where, problem);
        r.headers.emplace_back(name, std::move(t));
    }
}

// The body keys go together: a request that gives any of them replaces the scenario's body.
void read_body(const option_values& own, const option_values& top, std::string_view dir, request_def& r) {
    const bool own_body = std::any_of(body_keys.begin(), body_keys.end(), [&](auto& k) { return own.given(k); });
    const option_values& b = own_body ? own : top;
    std::vector<std::string> given;
    for (const auto& k : body_keys)
        if (b.given(k)) given.push_back(k);
    if (given.size() > 1)
        throw config_error(b.key_path(given[1]), "cannot go with '" + given[0] + "': give at most one of body, body_file "
                                                 "and body_template");
    if (given.empty()) return;
    r.has_body = true;
    if (given[0] == "body") r.literal_body = b.string("body");
    else if (given[0] == "body_file") r.literal_body = read_body_file(b, dir);
    else if (auto problem = parse_template(b.string("body_template"), r.body_template); !problem.empty())
        throw config_error(b.key_path("body_template"), problem);
}

// Where the request's first {rand:A:B} is, for expectations that name it.
bool has_rand(const request_def& r) {
    if (r.path.has(placeholder::kind::rand) || r.body_template.has(placeholder::kind::rand)) return true;
    return std::any_of(r.headers.begin(), r.headers.end(), [](auto& h) { return h.second.has(placeholder::kind::rand); });
}

bool has_seq(const request_def& r) {
    if (r.path.has(placeholder::kind::seq) || r.body_template.has(placeholder::kind::seq)) return true;
    return std::any_of(r.headers.begin(), r.headers.end(), [](auto& h) { return h.second.has(placeholder::kind::seq); });
}

request_def read_request(const option_values& own, const option_values& top, std::string_view dir) {
    const layered o{own, top};
    request_def r;
    read_method_and_path(o, r);
    read_headers(o, r);
    read_body(own, top, dir, r);
    const auto& e = o.of("expect");
    r.expect = expectation::from(e.table("expect"));
    const std::string where = e.key_path("expect");
    if (r.expect.uses_seq && !has_seq(r))
        throw config_error(where, "uses {seq}, but the request sends no {seq:W}: put one in its path, headers or body_template");
    if (r.expect.uses_rand && !has_rand(r))
        throw config_error(where, "uses {rand}, but the request sends no {rand:A:B}: put one in its path, headers or "
                                  "body_template");
    return r;
}

std::string name_problem(const std::string& name) {
    if (name.empty() || name.size() > 64) return "must be 1 to 64 characters";
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return "may hold only letters, digits, '-', '_' and '.' (found '" + name + "')";
    return {};
}

// One request serialised against the target: its head (and template body) with placeholders
// zeroed, and a literal body sent from the definition.
struct wire_form {
    templated bytes;
    std::string_view body;
};

wire_form serialise(const request_def& r, const target& t) {
    wire_form w;
    w.bytes.append(r.method + " " + t.path_prefix);
    w.bytes.append(r.path);
    w.bytes.append(" HTTP/1.1\r\nHost: " + t.host_header + "\r\n");
    for (const auto& [name, value] : r.headers) {
        w.bytes.append(name + ": ");
        w.bytes.append(value);
        w.bytes.append("\r\n");
    }
    if (r.has_body)
        w.bytes.append("Content-Length: " + std::to_string(r.literal_body.size() + r.body_template.text.size()) + "\r\n");
    w.bytes.append("\r\n");
    w.bytes.append(r.body_template);
    w.body = r.literal_body;
    return w;
}

constexpr std::array<std::uint64_t, 19> powers_of_ten = [] {
    std::array<std::uint64_t, 19> p{};
    p[0] = 1;
    for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
    return p;
}();

struct shared_state {
    std::vector<request_def> defs;
    std::vector<wire_form> wires;      // per def, made by prepare()
    std::vector<std::int64_t> cumulative;  // weighted: running sums of the weights
    bool weighted = false;
    std::uint64_t seq_start = 1;
    std::size_t max_body = 0;
};

class session final : public http_session {
public:
    session(const shared_state& s, const session_context& context)
        : s_(s), rng_(context.seed), check_(s.max_body), seq_(s.seq_start),
          turn_(static_cast<std::size_t>(context.connection % s.defs.size())),
          in_turn_(!s.weighted || context.role == session_role::correctness_check) {
        // Each request with placeholders gets this connection's own copy, made once.
        for (const auto& w : s.wires) own_.push_back(w.bytes.fields.empty() ? std::string() : w.bytes.text);
    }

    wire_request next_request() override {
        current_ = in_turn_ ? std::exchange(turn_, (turn_ + 1) % s_.defs.size()) : by_weight();
        const wire_form& w = s_.wires[current_];
        request_numbers numbers{seq_, 0};
        std::string_view head = w.bytes.text;
        if (!w.bytes.fields.empty()) {
            fill(w.bytes, own_[current_], numbers);
            head = own_[current_];
        }
        ++seq_;
        check_.arm(s_.defs[current_].expect, s_.defs[current_].label, numbers);
        const auto kind = static_cast<std::uint32_t>(current_);
        if (w.body.empty()) return {{head}, 1, kind};
        return {{head, w.body}, 2, kind};
    }
    response_check& check() override { return check_; }
    response_expectation expected() const override {
        const auto& e = s_.defs[current_].expect;
        return {e.media_type, e.size};
    }

private:
    std::size_t by_weight() {
        const auto total = static_cast<std::uint64_t>(s_.cumulative.back());
        const auto r = static_cast<std::int64_t>(shootout::http_scenario::draw(rng_, 0, total - 1));
        return static_cast<std::size_t>(std::upper_bound(s_.cumulative.begin(), s_.cumulative.end(), r) -
                                        s_.cumulative.begin());
    }

    // Overwrites the digits of every placeholder in this connection's copy.
    void fill(const templated& t, std::string& bytes, request_numbers& numbers) {
        bool seq_seen = false, rand_seen = false;
        for (const auto& f : t.fields) {
            std::uint64_t value = 0;
            if (f.what == placeholder::kind::seq) {
                value = seq_ % powers_of_ten[f.width];
                if (!std::exchange(seq_seen, true)) numbers.seq = value;
            } else {
                value = shootout::http_scenario::draw(rng_, f.low, f.high);
                if (!std::exchange(rand_seen, true)) numbers.rand = value;
            }
            shootout::http_scenario::write_digits(bytes.data() + f.offset, f.width, value);
        }
    }

    const shared_state& s_;
    std::mt19937_64 rng_;
    http_check check_;
    std::vector<std::string> own_;
    std::uint64_t seq_;
    std::size_t turn_, current_ = 0;
    bool in_turn_;
};

class http_scenario final : public scenario {
public:
    static constexpr std::array<option_spec, 11> options{{
        SHOOTOUT_HTTP_REQUEST_KEYS,
        {"request", option_type::table_list, "", "several requests, each with the keys above and name and weight",
         request_fields.data(), request_fields.size()},
        {"order", option_type::string, "round-robin", "with several requests: round-robin or weighted"},
        {"seq_start", option_type::integer, "1", "the first {seq} of each connection"},
        {"max_body", option_type::size, "64KiB", "the longest body collected to judge"},
    }};

    explicit http_scenario(const plugin_context& context) {
        const auto& o = context.options;
        read_order(o);
        if (o.integer("seq_start") < 0) throw config_error("seq_start", "must be 0 or more");
        s_.seq_start = static_cast<std::uint64_t>(o.integer("seq_start"));
        if (o.size("max_body") < 1) throw config_error("max_body", "must be at least 1 byte");
        s_.max_body = static_cast<std::size_t>(o.size("max_body"));
        const auto& list = o.table_list("request");
        if (list.empty()) {
            if (!o.given("path"))
                throw config_error("path", "is required: give the request's path, like path = \"/ping\", or a "
                                           "[[scenario.NAME.request]] list");
            s_.defs.push_back(read_request(o, o, context.manifest_dir));
            s_.cumulative.push_back(1);
            return;
        }
        read_request_list(o, list, context.manifest_dir);
    }

    shootout::sdk::transport transport() const override { return transport::http; }
    unsigned correctness_requests() const override {
        return std::max<unsigned>(3, static_cast<unsigned>(s_.defs.size()));  // every request at least once
    }
    std::vector<std::string> request_labels() const override {
        std::vector<std::string> labels;
        if (s_.defs.size() > 1)  // one request: the totals are its counts
            for (const auto& r : s_.defs) labels.push_back(r.label);
        return labels;
    }
    void prepare(const target& t) override {
        s_.wires.clear();
        for (const auto& r : s_.defs) s_.wires.push_back(serialise(r, t));
    }
    std::unique_ptr<http_session> open_http_session(const session_context& context) const override {
        return std::make_unique<session>(s_, context);
    }

private:
    void read_order(const option_values& o) {
        const std::string& order = o.string("order");
        if (order != "round-robin" && order != "weighted")
            throw config_error("order", "must be \"round-robin\" or \"weighted\" (found \"" + order + "\")");
        s_.weighted = order == "weighted";
    }

    void read_request_list(const option_values& o, const std::vector<option_values>& list, std::string_view dir) {
        if (list.size() > max_request_labels)
            throw config_error("request", "has " + std::to_string(list.size()) + " requests; at most " +
                                              std::to_string(max_request_labels) +
                                              " are counted apart: split the scenario in two");
        std::set<std::string> names;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& own = list[i];
            const std::string where = own.path();  // "request[1]"
            if (!own.given("path") && !o.given("path"))
                throw config_error(where, "has no 'path', and the scenario has none for it to take: give it one");
            request_def r = read_request(own, o, dir);
            r.label = own.given("name") ? own.string("name") : "request-" + std::to_string(i + 1);
            if (auto problem = name_problem(r.label); !problem.empty()) throw config_error(own.key_path("name"), problem);
            if (!names.insert(r.label).second)
                throw config_error(own.key_path("name"), "'" + r.label + "' names another request too; give each its own");
            if (own.given("weight") && !s_.weighted)
                throw config_error(own.key_path("weight"), "only counts with order = \"weighted\"; set it, or remove the weight");
            r.weight = own.integer("weight");
            if (r.weight < 1 || r.weight > 1'000'000)
                throw config_error(own.key_path("weight"), "must be from 1 to 1000000");
            s_.cumulative.push_back((s_.cumulative.empty() ? 0 : s_.cumulative.back()) + r.weight);
            s_.defs.push_back(std::move(r));
        }
        if (s_.defs.size() == 1) s_.defs.front().label.clear();  // one request: messages need no name
    }

    shared_state s_;
};

}  // namespace

SHOOTOUT_REGISTER_SCENARIO(http_scenario, "http", "1.0.0",
                           "an endpoint described in the manifest: method, path, headers, body, expectations")
