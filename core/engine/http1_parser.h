// The HTTP/1.1 response parser of the load engine: Boost.Beast's basic_parser with callbacks
// that keep only what shootout needs (status, content type, body length; the upgrade headers for
// a WebSocket handshake), with no header map and no body container. The body streams through to
// a scenario's check when that response is verified. Public so that it can be fuzzed and tested
// without sockets.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <shootout/sdk/http.h>
#include <shootout/sdk/scenario.h>

namespace shootout::core::engine {

namespace http = boost::beast::http;

// The headers that decide a WebSocket upgrade; kept only for the answer to the upgrade request,
// once per connection, so these strings are not on the per-request path.
struct upgrade_headers {
    std::string upgrade, connection, accept, extensions, protocol;

    void clear() {
        upgrade.clear();
        connection.clear();
        accept.clear();
        extensions.clear();
        protocol.clear();
    }
    void add(std::string& field, std::string_view value) {
        if (!field.empty()) field += ", ";  // a repeated list-valued field joins (RFC 9110 5.3)
        field.append(value);
    }
};

// What the parser reports about one response, without allocating.
struct response_sink {
    unsigned status = 0;
    std::array<char, 128> content_type{};
    std::size_t content_type_size = 0;
    std::uint64_t body_bytes = 0;
    sdk::response_check* check = nullptr;  // non-null when this response is verified
    upgrade_headers* upgrade = nullptr;    // non-null for the answer to a WebSocket upgrade
    sdk::response_expectation expect;      // checked on every response under load
    bool wrong_media_type = false;         // the Content-Type is not expect.media_type

    void reset(sdk::response_check* verifier, upgrade_headers* upgrade_fields = nullptr,
               sdk::response_expectation expectation = {}) {
        status = 0;
        content_type_size = 0;
        body_bytes = 0;
        check = verifier;
        expect = expectation;
        wrong_media_type = false;
        upgrade = upgrade_fields;
        if (upgrade) upgrade->clear();
    }
    std::string_view content_type_view() const { return {content_type.data(), content_type_size}; }
    /// After an interim (1xx) response: the final one follows, judged as the same answer.
    void next_response() {
        status = 0;
        content_type_size = 0;
        body_bytes = 0;
        wrong_media_type = false;
    }
    /// An interim response (100 Continue, 103 Early Hints...) precedes the final answer to the same
    /// request (RFC 9110 15.2). 101 ends the HTTP exchange, so it is final.
    bool interim() const { return status >= 100 && status < 200 && status != 101; }
};

// Beast's parser with callbacks that keep only what shootout needs: no header map, no body
// container. The body streams through to the scenario's check when this response is verified.
class response_parser final : public http::basic_parser<false> {
public:
    explicit response_parser(response_sink& sink) : sink_(sink) {
        eager(true);
        body_limit(boost::none);
    }

private:
    void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                         boost::beast::error_code&) override {}
    void on_response_impl(int code, boost::beast::string_view, int, boost::beast::error_code&) override {
        sink_.status = static_cast<unsigned>(code);
    }
    void on_field_impl(http::field name, boost::beast::string_view, boost::beast::string_view value,
                       boost::beast::error_code&) override {
        if (name == http::field::content_type) {
            sink_.content_type_size = std::min(value.size(), sink_.content_type.size());
            std::memcpy(sink_.content_type.data(), value.data(), sink_.content_type_size);
        }
        if (auto* u = sink_.upgrade) {
            const std::string_view v(value.data(), value.size());
            switch (name) {
                case http::field::upgrade: u->add(u->upgrade, v); break;
                case http::field::connection: u->add(u->connection, v); break;
                case http::field::sec_websocket_accept: u->add(u->accept, v); break;
                case http::field::sec_websocket_extensions: u->add(u->extensions, v); break;
                case http::field::sec_websocket_protocol: u->add(u->protocol, v); break;
                default: break;
            }
        }
    }
    void on_header_impl(boost::beast::error_code&) override {
        if (sink_.interim()) return;  // no body, nothing to judge: the final answer follows
        if (!sink_.expect.media_type.empty() && !sdk::media_type_is(sink_.content_type_view(), sink_.expect.media_type)) {
            sink_.wrong_media_type = true;
            sink_.check = nullptr;  // wrong already, and counted so on every response: no body to judge
        }
        if (!sink_.check) return;
        sdk::response_head head;
        head.status = sink_.status;
        head.content_type = sink_.content_type_view();
        if (auto length = content_length()) head.content_length = *length;
        head.chunked = chunked();
        sink_.check->begin(head);
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::beast::error_code&) override {}
    std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override {
        sink_.body_bytes += body.size();
        if (sink_.check) sink_.check->on_body({body.data(), body.size()});
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, boost::beast::error_code& ec) override {
        return on_body_impl(body, ec);
    }
    void on_finish_impl(boost::beast::error_code&) override {}

    response_sink& sink_;
};

// What one read did to the response being read.
struct read_outcome {
    enum class kind { need_more, done, malformed };
    kind what = kind::need_more;
    boost::beast::error_code error;  // malformed: what Beast found wrong
    // done: bytes of this read that come after the response (a WebSocket server's first frames,
    // or bytes no request asked for); valid until the next call on the reader.
    std::string_view after;
};

// Feeds a response to the parser one read at a time, the one way the engine (connection) and the
// fuzz target (fuzz/http1_response.cpp) both use: put() until Beast needs more, the unconsumed
// tail of a header split across reads carried to the next read, interim (1xx) responses skipped.
class response_reader {
public:
    explicit response_reader(response_sink& sink) : sink_(sink) {}

    /// A new response: call after sink.reset().
    void begin() {
        parser_.emplace(sink_);
        carry_.clear();
    }

    read_outcome feed(std::string_view bytes) {
        std::string_view input = bytes;
        if (!carry_.empty()) {
            carry_.append(bytes);
            input = carry_;
        }
        if (bytes.empty() || held_back(input)) return keep(input, 0);  // nothing new for Beast to look at
        std::size_t consumed = 0;
        while (consumed < input.size()) {
            boost::beast::error_code ec;
            consumed += parser_->put(boost::asio::const_buffer(input.data() + consumed, input.size() - consumed), ec);
            if (ec == http::error::need_more) break;
            if (ec) return {read_outcome::kind::malformed, ec, {}};
            if (parser_->is_done() && sink_.interim()) {  // the final answer follows, in this read or a later one
                sink_.next_response();
                parser_.emplace(sink_);
                continue;
            }
            if (parser_->is_done()) {
                read_outcome done{read_outcome::kind::done, {}, input.substr(consumed)};
                if (input.data() != carry_.data()) carry_.clear();  // else `after` points into it: cleared by begin()
                return done;
            }
        }
        return keep(input, consumed);
    }

    /// A response with no length ends when the peer closes the connection.
    bool needs_eof() const { return parser_ && !parser_->is_done() && parser_->need_eof(); }
    /// The peer closed where needs_eof(): true if that completed the response.
    bool finish_at_eof() {
        boost::beast::error_code ec;
        parser_->put_eof(ec);
        return !ec && parser_->is_done();
    }

    bool done() const { return parser_->is_done(); }
    bool keep_alive() const { return parser_->keep_alive(); }

private:
    // Boost.Beast 1.81 asserts (basic_parser.ipp:702, `BOOST_ASSERT(n >= 5)`) when it is called
    // again after the last chunk's size line with fewer than 5 bytes, although a stream may bring
    // them one at a time (fixed upstream in boostorg/beast#2861). The shortest end of a chunked
    // body, "0\r\n\r\n", is 5 bytes, so nothing in a chunked body can complete on fewer: hold
    // them back until there are 5. See docs/hardening.md.
    bool held_back(std::string_view unconsumed) const {
        return unconsumed.size() < 5 && parser_->is_header_done() && parser_->chunked() && !parser_->is_done();
    }

    read_outcome keep(std::string_view input, std::size_t consumed) {
        if (consumed < input.size()) {
            // A header (or chunk line) split across reads: keep the tail until the rest arrives.
            if (input.data() == carry_.data()) carry_.erase(0, consumed);
            else carry_.assign(input.substr(consumed));
        } else {
            carry_.clear();
        }
        return {};
    }

    response_sink& sink_;
    std::optional<response_parser> parser_;
    std::string carry_;  // unparsed bytes of a header split across reads
};

}  // namespace shootout::core::engine
