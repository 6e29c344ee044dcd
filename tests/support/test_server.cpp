// The test server: one http_session per TCP connection (on its own strand), handed over to a
// ws_session on a WebSocket upgrade of /ws-echo. Waits (delay, stall, drip) are steady_timers.
#include "test_server.h"
#include "test_server_raw.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <sstream>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

namespace shootout::test {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr std::uint64_t max_request_body = 50ull * 1024 * 1024 + 64 * 1024;
constexpr std::size_t stream_chunk = 64 * 1024;
constexpr std::size_t stream_size = 10 * 1024 * 1024;

const std::string& chunk_of_x() {
    static const std::string chunk(stream_chunk, 'X');
    return chunk;
}

// ---- small helpers ---------------------------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::size_t ifind(std::string_view haystack, std::string_view needle, std::size_t from = 0) {
    auto it = std::search(haystack.begin() + static_cast<std::ptrdiff_t>(std::min(from, haystack.size())),
                          haystack.end(), needle.begin(), needle.end(), [](char x, char y) {
                              return std::tolower(static_cast<unsigned char>(x)) ==
                                     std::tolower(static_cast<unsigned char>(y));
                          });
    return it == haystack.end() ? std::string_view::npos : static_cast<std::size_t>(it - haystack.begin());
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned i = 0; i < length; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0xf]);
    }
    return out;
}

std::string utc_now_iso() {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1'000'000);
}

std::string utc_now_seconds() {
    std::time_t secs = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// The value of query parameter `name`, if present.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    }
    return std::nullopt;
}

// The bytes of the multipart/form-data field named "file", if any.
std::optional<std::string_view> multipart_file(std::string_view content_type, std::string_view body) {
    auto b = ifind(content_type, "boundary=");
    if (b == std::string_view::npos) return std::nullopt;
    std::string_view boundary = content_type.substr(b + 9);
    boundary = boundary.substr(0, boundary.find(';'));
    while (!boundary.empty() && (boundary.back() == ' ' || boundary.back() == '\t')) boundary.remove_suffix(1);
    if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"')
        boundary = boundary.substr(1, boundary.size() - 2);
    if (boundary.empty()) return std::nullopt;
    const std::string delimiter = "--" + std::string(boundary);
    const std::string next_delimiter = "\r\n" + delimiter;

    std::size_t pos = body.find(delimiter);
    while (pos != std::string_view::npos) {
        pos += delimiter.size();
        if (body.substr(pos, 2) == "--") return std::nullopt;  // closing delimiter
        auto headers_end = body.find("\r\n\r\n", pos);
        if (headers_end == std::string_view::npos) return std::nullopt;
        std::string_view headers = body.substr(pos, headers_end - pos);
        std::size_t content = headers_end + 4;
        std::size_t end = body.find(next_delimiter, content);
        if (end == std::string_view::npos) return std::nullopt;

        // Look for name="file" (or name=file), not as the tail of filename=.
        for (std::size_t at = ifind(headers, "name="); at != std::string_view::npos;
             at = ifind(headers, "name=", at + 5)) {
            char before = at == 0 ? ';' : headers[at - 1];
            if (before != ';' && before != ' ' && before != '\t') continue;
            std::string_view value = headers.substr(at + 5);
            if (value.starts_with("\"file\"") ||
                (value.starts_with("file") && (value.size() == 4 || value[4] == ';' || value[4] == '\r' ||
                                               value[4] == ' ')))
                return body.substr(content, end - content);
        }
        pos = end + 2;
    }
    return std::nullopt;
}

// ---- shared state ------------------------------------------------------------------------------

struct stored_row {
    std::string name_json, description_json, price_json, created_at;
};

struct state {
    mutable std::mutex fault_mutex;
    faults current;
    steady::time_point stall_from{};
    steady::duration stall_length{0};

    std::atomic<std::uint64_t> requests{0}, rows{0}, accepted{0}, asking_to_close{0};
    std::atomic<bool> recording{false};
    mutable std::mutex arrivals_mutex;
    std::vector<arrival> arrivals;

    void record(const tcp::socket& socket) {
        if (!recording.load(std::memory_order_relaxed)) return;
        const auto at = steady::now();
        boost::system::error_code ec;
        const auto peer = socket.remote_endpoint(ec);
        std::lock_guard lock(arrivals_mutex);
        arrivals.push_back({ec ? std::string("?") : peer.address().to_string(), at});
    }
    std::atomic<std::int64_t> next_id{1001};
    std::shared_mutex db_mutex;
    std::unordered_map<std::int64_t, stored_row> db;
    std::mutex targets_mutex;
    std::vector<std::string> targets;  // of the first max_kept_targets requests

    std::mutex service_mutex;
    steady::time_point service_free{};  ///< when the one server of `service_time` is free again

    // With service_time: when a request read at `now` is done, after every one read before it.
    steady::time_point served_at(steady::time_point now, std::chrono::microseconds service_time) {
        std::lock_guard lock(service_mutex);
        service_free = std::max(service_free, now) + service_time;
        return service_free;
    }

    faults snapshot() const {
        std::lock_guard lock(fault_mutex);
        return current;
    }

    // If a response sent at `now` falls into the stall window, when it may go.
    std::optional<steady::time_point> stall_end(steady::time_point now) const {
        std::lock_guard lock(fault_mutex);
        if (stall_length <= steady::duration::zero()) return std::nullopt;
        auto end = stall_from + stall_length;
        if (now >= stall_from && now < end) return end;
        return std::nullopt;
    }
};

constexpr std::size_t max_kept_targets = 10'000;

// ---- the contract ------------------------------------------------------------------------------

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

void set_body(response& res, http::status status, std::string_view content_type, std::string body) {
    res.result(status);
    res.set(http::field::content_type, content_type);
    res.body() = std::move(body);
}

void set_json(response& res, http::status status, std::string body) {
    set_body(res, status, "application/json", std::move(body));
}

void db_read(state& st, const faults& f, std::string_view query, response& res) {
    auto id_text = query_param(query, "id");
    std::int64_t id = 0;
    if (!id_text || id_text->empty()) return set_json(res, http::status::bad_request, R"({"error":"invalid id"})");
    auto [ptr, ec] = std::from_chars(id_text->data(), id_text->data() + id_text->size(), id);
    if (ec != std::errc{} || ptr != id_text->data() + id_text->size())
        return set_json(res, http::status::bad_request, R"({"error":"invalid id"})");

    if (id >= 1 && id <= 1000) {
        std::string name = f.wrong_body ? "wrong" : fmt::format("item-{}", id);
        return set_json(res, http::status::ok,
                        fmt::format(R"({{"id":{},"name":"{}","description":"Description for item {}","price":{:.2f},)"
                                    R"("created_at":"2026-01-01T00:00:00"}})",
                                    id, name, id, static_cast<double>((id * 37) % 10000) / 100.0));
    }
    std::optional<stored_row> row;
    {
        std::shared_lock lock(st.db_mutex);
        if (auto it = st.db.find(id); it != st.db.end()) row = it->second;
    }
    if (!row) return set_json(res, http::status::not_found, R"({"error":"not found"})");
    set_json(res, http::status::ok,
             fmt::format(R"({{"id":{},"name":{},"description":{},"price":{},"created_at":"{}"}})", id,
                         f.wrong_body ? std::string(R"("wrong")") : row->name_json, row->description_json,
                         row->price_json, row->created_at));
}

void db_write(state& st, const faults& f, const std::string& body, response& res) {
    boost::system::error_code ec;
    json::value doc = json::parse(body, ec);
    const json::object* obj = ec ? nullptr : doc.if_object();
    const json::value* name = obj ? obj->if_contains("name") : nullptr;
    if (!name || !name->is_string()) return set_json(res, http::status::bad_request, R"({"error":"invalid body"})");

    stored_row row;
    row.name_json = json::serialize(*name);
    const json::value* description = obj->if_contains("description");
    row.description_json = description && description->is_string() ? json::serialize(*description) : R"("")";
    const json::value* price = obj->if_contains("price");
    if (!price || !price->is_number())
        row.price_json = "0";
    else if (price->is_double())
        row.price_json = fmt::format("{}", price->get_double());  // shortest form: 1.5, not 1.5E0
    else
        row.price_json = json::serialize(*price);
    row.created_at = utc_now_seconds();

    std::int64_t id = st.next_id.fetch_add(1);
    {
        std::unique_lock lock(st.db_mutex);
        st.db.emplace(id, std::move(row));
    }
    st.rows.fetch_add(1);
    set_json(res, http::status::created, f.wrong_body ? R"({"id":"x"})" : fmt::format(R"({{"id":{}}})", id));
}

void upload(const faults& f, const request& req, response& res) {
    std::string_view content_type = req[http::field::content_type];
    std::string_view data = req.body();
    if (istarts_with(content_type, "multipart/form-data")) {
        auto file = multipart_file(content_type, data);
        if (!file) return set_json(res, http::status::bad_request, R"({"error":"invalid body"})");
        data = *file;
    }
    std::string digest = f.wrong_body ? std::string(64, '0') : sha256_hex(data);
    set_json(res, http::status::ok, fmt::format(R"({{"sha256":"{}","size":{}}})", digest, data.size()));
}

// GET /user/<digits>/info: {"id":<the number>,"name":"user-<the number>"} (the id one off when
// wrong); false for any other path.
bool user_info(const faults& f, std::string_view path, response& res) {
    constexpr std::string_view head = "/user/", tail = "/info";
    if (!path.starts_with(head) || !path.ends_with(tail) || path.size() <= head.size() + tail.size()) return false;
    const auto digits = path.substr(head.size(), path.size() - head.size() - tail.size());
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return false;
    set_json(res, http::status::ok, fmt::format(R"({{"id":{},"name":"user-{}"}})", f.wrong_body ? id + 1 : id, id));
    return true;
}

// Fills `res` for `req`; returns true instead if the answer is the chunked /stream.
bool route(state& st, const faults& f, const request& req, response& res) {
    if (f.status != 0) {
        res.result(f.status >= 100 && f.status <= 999 ? f.status : 500);
        // 1xx, 204 and 304 carry no body (Beast refuses to serialise one).
        if (f.status >= 200 && f.status != 204 && f.status != 304) {
            res.set(http::field::content_type, "application/json");
            res.body() = R"({"error":"injected"})";
        }
        return false;
    }
    std::string_view target = req.target();
    auto question = target.find('?');
    std::string_view path = target.substr(0, question);
    std::string_view query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    const auto method = req.method();

    if (method == http::verb::get && path == "/ping") {
        set_body(res, http::status::ok, "text/plain; charset=utf-8", f.wrong_body ? "pang" : "pong");
    } else if (method == http::verb::get && path == "/json") {
        set_json(res, http::status::ok,
                 fmt::format(R"({{"message":"{}","ts":"{}"}})", f.wrong_body ? "hullo" : "hello", utc_now_iso()));
    } else if (method == http::verb::get && path == "/db-read") {
        db_read(st, f, query, res);
    } else if (method == http::verb::post && path == "/db-write") {
        db_write(st, f, req.body(), res);
    } else if (method == http::verb::post && path == "/upload") {
        upload(f, req, res);
    } else if (method == http::verb::get && path == "/stream") {
        return true;
    } else if (method == http::verb::get && user_info(f, path, res)) {
    } else if (method == http::verb::post && path == "/echo") {
        const auto type = req[http::field::content_type];
        set_body(res, http::status::ok, type.empty() ? "application/octet-stream" : type,
                 f.wrong_body ? req.body() + "?" : req.body());
    } else {
        set_json(res, http::status::not_found, R"({"error":"not found"})");
    }
    return false;
}

// ---- WebSocket ---------------------------------------------------------------------------------

class ws_session : public std::enable_shared_from_this<ws_session> {
public:
    // `at_upgrade`: the faults when the upgrade came, for those that shape the whole connection.
    ws_session(tcp::socket&& socket, state& st, request&& req, const faults& at_upgrade)
        : ws_(std::move(socket)), st_(st), req_(std::move(req)), timer_(ws_.get_executor()), at_upgrade_(at_upgrade) {}

    void run() {
        ws_.read_message_max(64ull * 1024 * 1024);
        ws_.auto_fragment(false);
        ws_.async_accept(req_, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->drop();
            self->read();
        });
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->drop();
            self->faults_ = self->st_.snapshot();
            self->delayed_ = false;
            self->wait_then_echo();
        });
    }

    void wait_then_echo() {
        if (!delayed_ && faults_.delay.count() > 0) {
            delayed_ = true;
            timer_.expires_after(faults_.delay);
            return timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (!ec) self->wait_then_echo();
            });
        }
        if (auto end = st_.stall_end(steady::now())) {
            timer_.expires_at(*end);
            return timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (!ec) self->wait_then_echo();
            });
        }
        if (faults_.websocket_frame_length) {  // no echo: a frame no client can take
            raw_ = websocket_frame_announcing(faults_.websocket_frame_length);
            return net::async_write(ws_.next_layer(), net::buffer(raw_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) return self->drop();
                self->buffer_.consume(self->buffer_.size());
                self->read();
            });
        }
        ws_.text(ws_.got_text());
        ws_.async_write(buffer_.data(), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->drop();
            if (self->faults_.echo_twice && !self->echoed_once_) {
                self->echoed_once_ = true;
                return self->wait_then_echo();
            }
            self->echoed_once_ = false;
            self->buffer_.consume(self->buffer_.size());
            if (self->at_upgrade_.close_websocket_after_first) return self->drop();
            if (const auto code = self->at_upgrade_.close_websocket_code_after_first)
                return self->ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), self->close_reason_text(code)),
                                             [self](beast::error_code) { self->drop(); });
            self->read();
        });
    }

    std::string close_reason_text(std::uint16_t code) const {
        if (!at_upgrade_.close_websocket_reason.empty()) return at_upgrade_.close_websocket_reason;
        return code == 1001 ? "going away" : "internal error";
    }

    void drop() {
        beast::error_code ec;
        ws_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
        ws_.next_layer().close(ec);
    }

    websocket::stream<tcp::socket> ws_;
    state& st_;
    request req_;
    beast::flat_buffer buffer_;
    net::steady_timer timer_;
    faults faults_;
    faults at_upgrade_;
    bool delayed_ = false;
    bool echoed_once_ = false;
    std::string raw_;
};

// ---- HTTP --------------------------------------------------------------------------------------

class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(tcp::socket&& socket, state& st) : socket_(std::move(socket)), st_(st), timer_(socket_.get_executor()) {}

    void start() {
        net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->read(); });
    }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(max_request_body);
        parser_->header_limit(64 * 1024);
        http::async_read_header(socket_, buffer_, *parser_,
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    self->on_header(ec);
                                });
    }

    void on_header(beast::error_code ec) {
        if (ec) return close();
        if (parser_->is_done()) return on_read({});
        auto read_rest = [self = shared_from_this()] {
            http::async_read(self->socket_, self->buffer_, *self->parser_,
                             [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
        };
        if (iequals(parser_->get()[http::field::expect], "100-continue")) {
            static const std::string continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
            return net::async_write(socket_, net::buffer(continue_line),
                                    [self = shared_from_this(), read_rest](beast::error_code ec, std::size_t) {
                                        if (ec) return self->close();
                                        read_rest();
                                    });
        }
        read_rest();
    }

    void on_read(beast::error_code ec) {
        if (ec) return close();
        const auto number = st_.requests.fetch_add(1) + 1;
        st_.record(socket_);
        faults_ = st_.snapshot();
        if (faults_.status_every && number % faults_.status_every != 0) faults_.status = 0;
        if (faults_.wrong_every && number % faults_.wrong_every != 0) faults_.wrong_body = faults_.wrong_content_type = false;
        req_ = parser_->release();
        parser_.reset();
        if (!req_.keep_alive()) st_.asking_to_close.fetch_add(1);
        if (number <= max_kept_targets) {
            std::lock_guard lock(st_.targets_mutex);
            st_.targets.emplace_back(req_.target());
        }

        if (faults_.never_answer) return idle_until_closed();
        if (faults_.close_without_answer) return close();

        std::string_view target = req_.target();
        if (websocket::is_upgrade(req_) && target.substr(0, target.find('?')) == "/ws-echo" &&
            !faults_.refuse_websocket && faults_.status == 0) {
            std::make_shared<ws_session>(std::move(socket_), st_, std::move(req_), faults_)
                ->run();
            return;
        }

        res_ = {};
        res_.version(req_.version());
        stream_ = route(st_, faults_, req_, res_);
        if (faults_.wrong_content_type && !stream_) res_.set(http::field::content_type, "text/html");
        if (!faults_.content_type.empty()) res_.set(http::field::content_type, faults_.content_type);
        keep_alive_ = (req_.keep_alive() || faults_.ignore_connection_close) && !faults_.connection_close;
        res_.keep_alive(keep_alive_);
        res_.prepare_payload();
        delayed_ = served_ = false;
        wait_then_send();
    }

    // Applies the service queue, then `delay`, then any stall window, then sends.
    void wait_then_send() {
        if (!served_ && faults_.service_time.count() > 0) {
            served_ = true;
            timer_.expires_at(st_.served_at(steady::now(), faults_.service_time));
            return timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (!ec) self->wait_then_send();
            });
        }
        if (!delayed_ && faults_.delay.count() > 0) {
            delayed_ = true;
            timer_.expires_after(faults_.delay);
            return timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (!ec) self->wait_then_send();
            });
        }
        if (auto end = st_.stall_end(steady::now())) {
            timer_.expires_at(*end);
            return timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (!ec) self->wait_then_send();
            });
        }
        send();
    }

    void send() {
        if (faults_.interim_status) {
            // An interim response first (RFC 9110 15.2), then the real answer.
            raw_ = fmt::format("HTTP/1.1 {} {}\r\nLink: </style.css>; rel=preload\r\n\r\n", faults_.interim_status,
                               faults_.interim_status == 100 ? "Continue" : "Early Hints");
            faults_.interim_status = 0;
            return net::async_write(socket_, net::buffer(raw_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) return self->close();
                self->send();
            });
        }
        if (stream_) return start_stream();
        if (auto plan = raw_answer(faults_, res_)) {
            plan_ = std::move(*plan);
            drip_at_ = 0;
            return write_raw();
        }
        if (faults_.close_mid_response) {
            std::ostringstream head;
            head << res_.base();
            raw_ = head.str();
            if (res_.body().empty())
                raw_.resize(raw_.size() / 2);
            else
                raw_.append(res_.body(), 0, res_.body().size() / 2);
            return net::async_write(socket_, net::buffer(raw_),
                                    [self = shared_from_this()](beast::error_code, std::size_t) { self->close(); });
        }
        http::async_write(socket_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->after_response(ec);
        });
    }

    void after_response(beast::error_code ec) {
        if (ec) return close();
        if (!keep_alive_) {
            beast::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_send, ignored);
            return close();
        }
        read();
    }

    // ---- /stream: a chunked response written chunk by chunk from one shared 64 KiB of 'X'.
    void start_stream() {
        stream_total_ = faults_.wrong_body ? stream_size - 1 : stream_size;
        stream_stop_at_ = faults_.close_mid_response ? stream_size / 2 : stream_total_;
        stream_sent_ = 0;
        stream_head_.emplace(http::status::ok, req_.version());
        stream_head_->set(http::field::content_type, "application/octet-stream");
        stream_head_->keep_alive(keep_alive_);
        stream_head_->chunked(true);
        stream_serializer_.emplace(*stream_head_);
        http::async_write_header(socket_, *stream_serializer_,
                                 [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                     if (ec) return self->close();
                                     self->next_chunk();
                                 });
    }

    void next_chunk() {
        if (stream_sent_ >= stream_stop_at_) {
            if (faults_.close_mid_response) return close();
            return net::async_write(socket_, http::make_chunk_last(),
                                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                        self->after_response(ec);
                                    });
        }
        if (stream_sent_ > 0 && faults_.body_drip.count() > 0) {
            timer_.expires_after(faults_.body_drip);
            return timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (!ec) self->write_chunk();
            });
        }
        write_chunk();
    }

    void write_chunk() {
        std::size_t n = std::min(stream_chunk, std::min(stream_total_, stream_stop_at_) - stream_sent_);
        net::async_write(socket_, http::make_chunk(net::buffer(chunk_of_x().data(), n)),
                         [self = shared_from_this(), n](beast::error_code ec, std::size_t) {
                             if (ec) return self->close();
                             self->stream_sent_ += n;
                             self->next_chunk();
                         });
    }

    // ---- raw answers (test_server_raw.h): dribbled, endless, badly framed, twice.
    void write_raw() {
        if (plan_.drip.count() > 0) {
            return net::async_write(socket_, net::buffer(plan_.first.data() + drip_at_, 1),
                                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                        if (ec) return self->close();
                                        if (++self->drip_at_ == self->plan_.first.size()) return self->after_raw_first();
                                        self->timer_.expires_after(self->plan_.drip);
                                        self->timer_.async_wait([self](beast::error_code wait_ec) {
                                            if (!wait_ec) self->write_raw();
                                        });
                                    });
        }
        net::async_write(socket_, net::buffer(plan_.first), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->after_raw_first();
        });
    }

    void after_raw_first() {
        if (!plan_.repeat.empty()) return write_forever();
        if (plan_.second.empty()) return after_response({});
        timer_.expires_after(plan_.second_after);
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            net::async_write(self->socket_, net::buffer(self->plan_.second),
                             [self](beast::error_code write_ec, std::size_t) { self->after_response(write_ec); });
        });
    }

    // Until the peer goes: its close makes a write fail.
    void write_forever() {
        net::async_write(socket_, net::buffer(plan_.repeat), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->write_forever();
        });
    }

    // never_answer: keep the socket open, discarding whatever arrives, until the peer leaves.
    void idle_until_closed() {
        socket_.async_read_some(net::buffer(sink_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->idle_until_closed();
        });
    }

    void close() {
        beast::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

    tcp::socket socket_;
    state& st_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    request req_;
    response res_;
    faults faults_;
    bool stream_ = false, keep_alive_ = true, delayed_ = false, served_ = false;
    std::string raw_;
    raw_plan plan_;
    std::size_t drip_at_ = 0;
    std::optional<http::response<http::empty_body>> stream_head_;
    std::optional<http::response_serializer<http::empty_body>> stream_serializer_;
    std::size_t stream_total_ = 0, stream_stop_at_ = 0, stream_sent_ = 0;
    std::array<char, 4096> sink_{};
};

}  // namespace

// ---- the server --------------------------------------------------------------------------------

struct test_server::impl {
    state st;
    std::optional<net::io_context> ioc;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::optional<tcp::acceptor> acceptor;
    std::optional<net::steady_timer> retry_timer;
    std::vector<std::thread> threads;
    std::uint16_t port = 0;

    explicit impl(unsigned thread_count) {
        ioc.emplace(static_cast<int>(std::max(1u, thread_count)));
        work.emplace(ioc->get_executor());
        acceptor.emplace(*ioc);
        retry_timer.emplace(*ioc);
        tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
        acceptor->open(endpoint.protocol());
        acceptor->set_option(net::socket_base::reuse_address(true));
        acceptor->bind(endpoint);
        acceptor->listen(net::socket_base::max_listen_connections);
        port = acceptor->local_endpoint().port();
        accept();
        for (unsigned i = 0; i < std::max(1u, thread_count); ++i)
            threads.emplace_back([this] {
                for (;;) {
                    try {
                        ioc->run();
                        return;
                    } catch (const std::exception& e) {  // a handler threw: drop that session, keep serving
                        std::fprintf(stderr, "test_server: %s\n", e.what());
                    }
                }
            });
    }

    ~impl() {
        ioc->stop();
        for (auto& t : threads) t.join();
        // Destroying the io_context destroys every pending handler, hence every session and socket.
        retry_timer.reset();
        acceptor.reset();
        work.reset();
        ioc.reset();
    }

    void accept() {
        acceptor->async_accept(net::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted) return;
            if (ec) {  // e.g. out of descriptors: try again shortly rather than spin
                retry_timer->expires_after(std::chrono::milliseconds(10));
                return retry_timer->async_wait([this](beast::error_code wait_ec) {
                    if (!wait_ec) accept();
                });
            }
            st.accepted.fetch_add(1);
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            std::make_shared<http_session>(std::move(socket), st)->start();
            accept();
        });
    }
};

test_server::test_server(unsigned threads) : impl_(std::make_unique<impl>(threads)) {}

test_server::~test_server() = default;

std::uint16_t test_server::port() const { return impl_->port; }

std::string test_server::base_url() const { return fmt::format("http://127.0.0.1:{}", impl_->port); }

void test_server::set_faults(const faults& f) {
    std::lock_guard lock(impl_->st.fault_mutex);
    impl_->st.current = f;
}

void test_server::stall(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::duration length) {
    std::lock_guard lock(impl_->st.fault_mutex);
    impl_->st.stall_from = from;
    impl_->st.stall_length = length;
}

std::uint64_t test_server::requests() const { return impl_->st.requests.load(); }
std::uint64_t test_server::requests_asking_to_close() const { return impl_->st.asking_to_close.load(); }

std::vector<std::string> test_server::targets() const {
    std::lock_guard lock(impl_->st.targets_mutex);
    return impl_->st.targets;
}

std::uint64_t test_server::rows_written() const { return impl_->st.rows.load(); }

std::uint64_t test_server::connections_accepted() const { return impl_->st.accepted.load(); }
void test_server::record_arrivals() { impl_->st.recording.store(true); }
std::vector<arrival> test_server::arrivals() const {
    std::lock_guard lock(impl_->st.arrivals_mutex);
    return impl_->st.arrivals;
}

}  // namespace shootout::test
