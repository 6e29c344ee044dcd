// The engine's WebSocket pieces: RFC 6455's own examples, every way a stream can be cut, every
// protocol error with its reason, and a real exchange with Beast's WebSocket server.
#include <cstring>
#include <string>
#include <vector>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <catch2/catch.hpp>

#include "engine/websocket_protocol.h"
#include "test_server.h"
#include "ws_test_client.h"

namespace ws = shootout::core::engine::websocket;
namespace http = boost::beast::http;
using namespace std::string_literals;
using shootout::test::blocking_client;

namespace {

std::string bytes(std::initializer_list<unsigned> values) {
    std::string s;
    for (unsigned v : values) s.push_back(static_cast<char>(v));
    return s;
}

// Records what the decoder reports, one line per event, so whole sequences compare at once.
struct recorder final : ws::handler {
    std::vector<std::string> events;
    std::vector<const char*> message_data;  // where each message's bytes were when delivered

    void on_message(std::string_view data, bool binary) override {
        events.push_back((binary ? "binary:"s : "text:"s) + std::string(data));
        message_data.push_back(data.data());
    }
    void on_ping(std::string_view payload) override { events.push_back("ping:" + std::string(payload)); }
    void on_pong(std::string_view payload) override { events.push_back("pong:" + std::string(payload)); }
    void on_close(std::uint16_t code, std::string_view reason) override {
        events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
    }
};

// An unmasked frame as a server sends it.
std::string server_frame(unsigned first_byte, std::string_view payload) {
    std::string f(1, static_cast<char>(first_byte));
    const std::uint64_t n = payload.size();
    if (n < 126) {
        f.push_back(static_cast<char>(n));
    } else if (n <= 0xFFFF) {
        f += bytes({126, unsigned(n >> 8) & 0xFF, unsigned(n) & 0xFF});
    } else {
        f.push_back(127);
        for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(n >> (8 * i)));
    }
    return f.append(payload);
}

// What a server reads from a client frame: the header decoded and the payload unmasked. Returns
// the same message as a server frame (mask bit and key removed), so it can be fed to the decoder.
std::string unmask_to_server_frame(std::string_view header, std::string_view masked_payload) {
    REQUIRE(header.size() >= 6);
    const auto* h = reinterpret_cast<const unsigned char*>(header.data());
    REQUIRE((h[1] & 0x80) != 0);  // a client frame is masked
    std::array<std::uint8_t, 4> key;
    std::memcpy(key.data(), header.data() + header.size() - 4, 4);
    std::string payload(masked_payload);
    ws::mask(payload.data(), payload.data(), payload.size(), key);
    std::string frame(header.substr(0, header.size() - 4));
    frame[1] = static_cast<char>(h[1] & 0x7F);
    return frame + payload;
}

std::string deterministic_payload(std::size_t size, bool binary) {
    std::string s(size, '\0');
    std::uint32_t x = 2463534242u;
    for (auto& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = binary ? static_cast<char>(x) : static_cast<char>(' ' + x % 95);
    }
    return s;
}

}  // namespace

// ---- handshake -----------------------------------------------------------------------------------

TEST_CASE("websocket protocol: the accept key of RFC 6455 section 1.3", "[core][websocket]") {
    CHECK(ws::accept_for_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("websocket protocol: the upgrade request is complete, and the same for the same seed", "[core][websocket]") {
    const auto h = ws::make_handshake("127.0.0.1:8083", "/ws-echo", 42);

    http::request_parser<http::empty_body> parser;
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(h.request), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(parser.is_done());
    const auto& request = parser.get();
    CHECK(request.method() == http::verb::get);
    CHECK(request.target() == "/ws-echo");
    CHECK(request.version() == 11);
    CHECK(request[http::field::host] == "127.0.0.1:8083");
    CHECK(request[http::field::upgrade] == "websocket");
    CHECK(request[http::field::connection] == "Upgrade");
    CHECK(request[http::field::sec_websocket_version] == "13");
    CHECK(request[http::field::sec_websocket_key] == h.key);
    CHECK(h.key.size() == 24);  // base64 of 16 bytes
    CHECK(h.key.ends_with("=="));
    CHECK(h.expected_accept == ws::accept_for_key(h.key));

    CHECK(ws::make_handshake("127.0.0.1:8083", "/ws-echo", 42).request == h.request);
    CHECK(ws::make_handshake("127.0.0.1:8083", "/ws-echo", 43).key != h.key);
}

TEST_CASE("websocket protocol: the judge accepts a right 101, tells a refusal from a broken upgrade", "[core][websocket]") {
    const std::string accept = ws::accept_for_key("dGhlIHNhbXBsZSBub25jZQ==");
    ws::upgrade_response good{101, "WebSocket", "keep-alive, Upgrade", accept, "", ""};
    CHECK(ws::judge_upgrade(good, accept).accepted());
    CHECK(ws::judge_upgrade(good, accept).reason.empty());

    for (unsigned status : {200u, 400u, 404u, 426u}) {
        auto r = good;
        r.status = status;
        const auto v = ws::judge_upgrade(r, accept);
        CHECK(v.outcome == ws::upgrade_outcome::refused);
        CHECK(v.status == status);
        CHECK(v.reason == "the server answered the upgrade with status " + std::to_string(status) +
                              ", not 101 Switching Protocols");
    }

    auto judge = [&](ws::upgrade_response r) {
        const auto v = ws::judge_upgrade(r, accept);
        CHECK(v.outcome == ws::upgrade_outcome::invalid);
        CHECK(v.status == 101);
        return v.reason;
    };
    auto r = good;
    r.upgrade = "";
    CHECK(judge(r) == "101 without 'Upgrade: websocket' (no Upgrade header)");
    r = good;
    r.upgrade = "h2c";
    CHECK(judge(r) == "101 without 'Upgrade: websocket' (got 'h2c')");
    r = good;
    r.connection = "keep-alive";
    CHECK(judge(r) == "101 without 'Connection: Upgrade' (got 'keep-alive')");
    r = good;
    r.accept = "dGhlIHNhbXBsZSBub25jZQ==";
    CHECK(judge(r) == "101 with Sec-WebSocket-Accept 'dGhlIHNhbXBsZSBub25jZQ==', expected "
                      "'s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' for the key sent");
    r = good;
    r.extensions = "permessage-deflate";
    CHECK(judge(r) == "101 with extension 'permessage-deflate', which the client did not offer");
    r = good;
    r.protocol = "chat";
    CHECK(judge(r) == "101 with subprotocol 'chat', which the client did not offer");
}

// ---- encoding ------------------------------------------------------------------------------------

TEST_CASE("websocket protocol: the masked frames of RFC 6455 section 5.7", "[core][websocket]") {
    const std::array<std::uint8_t, 4> key{0x37, 0xfa, 0x21, 0x3d};
    char masked[5];
    auto text = ws::encode_frame(ws::opcode::text, "Hello", key, masked);
    CHECK(text.view() == bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d}));
    CHECK(std::string_view(masked, 5) == bytes({0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    auto pong = ws::encode_frame(ws::opcode::pong, "Hello", key, masked);
    CHECK(pong.view() == bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d}));
    CHECK(std::string_view(masked, 5) == bytes({0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST_CASE("websocket protocol: payload lengths use the 7-, 16- and 64-bit forms", "[core][websocket]") {
    const std::array<std::uint8_t, 4> key{1, 2, 3, 4};
    struct form {
        std::size_t size;
        std::string length_bytes;
    };
    for (const auto& [size, length_bytes] : {form{0, bytes({0x80})}, form{125, bytes({0x80 | 125})},
                                             form{126, bytes({0x80 | 126, 0, 126})},
                                             form{65535, bytes({0x80 | 126, 0xff, 0xff})},
                                             form{65536, bytes({0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0})}}) {
        INFO("size " << size);
        const std::string payload(size, 'a');
        std::string masked(size, '\0');
        const auto h = ws::encode_frame(ws::opcode::binary, payload, key, masked.data());
        CHECK(h.view() == bytes({0x82}) + length_bytes + bytes({1, 2, 3, 4}));
    }
}

TEST_CASE("websocket protocol: masking eight bytes at a time equals masking byte by byte", "[core][websocket]") {
    const std::array<std::uint8_t, 4> key{0xde, 0xad, 0xbe, 0xef};
    const std::string input = deterministic_payload(67, true);
    for (std::size_t size = 0; size <= input.size(); ++size)
        for (std::size_t offset = 0; offset < 4; ++offset) {
            std::string fast(size, '\0');
            ws::mask(input.data(), fast.data(), size, key, offset);
            std::string slow(size, '\0');
            for (std::size_t i = 0; i < size; ++i) slow[i] = static_cast<char>(input[i] ^ key[(i + offset) % 4]);
            INFO("size " << size << ", offset " << offset);
            CHECK(fast == slow);
        }
}

TEST_CASE("websocket protocol: every frame gets a fresh masking key, the same ones for the same seed", "[core][websocket]") {
    ws::frame_encoder a(7), b(7), c(8);
    char out[3];
    const auto a1 = ws::frame_encoder(7).encode(ws::opcode::text, "abc", out);
    CHECK(a.encode(ws::opcode::text, "abc", out).view() == a1.view());
    CHECK(a.encode(ws::opcode::text, "abc", out).view() != a1.view());  // the next key
    CHECK(b.encode(ws::opcode::text, "abc", out).view() == a1.view());
    CHECK(c.encode(ws::opcode::text, "abc", out).view() != a1.view());
}

TEST_CASE("websocket protocol: a close frame carries status 1000, a pong echoes the ping", "[core][websocket]") {
    ws::frame_encoder encoder(1);
    const auto close = encoder.encode_close();
    REQUIRE(close.size == 8);
    CHECK(close.view().substr(0, 2) == bytes({0x88, 0x82}));
    recorder r;
    ws::decoder d(1024);
    const std::string frame = unmask_to_server_frame(close.view().substr(0, 6), close.view().substr(6));
    REQUIRE(d.feed(frame.data(), frame.size(), r));
    CHECK(r.events == std::vector<std::string>{"close:1000:"});

    const auto pong = encoder.encode_control(ws::opcode::pong, "are you there?");
    const std::string pong_frame = unmask_to_server_frame(pong.view().substr(0, 6), pong.view().substr(6));
    ws::decoder d2(1024);
    REQUIRE(d2.feed(pong_frame.data(), pong_frame.size(), r));
    CHECK(r.events.back() == "pong:are you there?");
}

// ---- decoding ------------------------------------------------------------------------------------

TEST_CASE("websocket protocol: the server frames of RFC 6455 section 5.7 decode", "[core][websocket]") {
    recorder r;
    ws::decoder d(1 << 20);
    const std::string hello = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    const std::string fragmented = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
    const std::string ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    const std::string binary_256 = bytes({0x82, 0x7E, 0x01, 0x00}) + std::string(256, 'x');
    const std::string binary_64k = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}) + std::string(65536, 'y');
    for (const auto* input : {&hello, &fragmented, &ping, &binary_256, &binary_64k})
        REQUIRE(d.feed(input->data(), input->size(), r));
    CHECK(r.events == std::vector<std::string>{"text:Hello", "text:Hello", "ping:Hello",
                                               "binary:" + std::string(256, 'x'), "binary:" + std::string(65536, 'y')});
}

TEST_CASE("websocket protocol: a message whole in one read is not copied, one split across reads is", "[core][websocket]") {
    recorder r;
    ws::decoder d(1024);
    const std::string frame = server_frame(0x81, "in place");
    REQUIRE(d.feed(frame.data(), frame.size(), r));
    REQUIRE(r.message_data.size() == 1);
    CHECK(r.message_data[0] == frame.data() + 2);

    REQUIRE(d.feed(frame.data(), 5, r));
    REQUIRE(d.feed(frame.data() + 5, frame.size() - 5, r));
    REQUIRE(r.message_data.size() == 2);
    CHECK(r.events[1] == "text:in place");
    CHECK((r.message_data[1] < frame.data() || r.message_data[1] >= frame.data() + frame.size()));
}

TEST_CASE("websocket protocol: every way of cutting a stream of frames gives the same events", "[core][websocket]") {
    const std::string stream = server_frame(0x81, "Hello") +
                               server_frame(0x01, "Hel") + server_frame(0x89, "between fragments") +
                               server_frame(0x00, "l") + server_frame(0x80, "o") +
                               server_frame(0x82, deterministic_payload(300, true)) +
                               server_frame(0x8A, "") + server_frame(0x81, "") +
                               server_frame(0x02, "bin") + server_frame(0x80, "ary") +
                               server_frame(0x88, bytes({0x03, 0xe8}) + "bye");
    const std::vector<std::string> expected{"text:Hello", "ping:between fragments", "text:Hello",
                                            "binary:" + deterministic_payload(300, true), "pong:", "text:",
                                            "binary:binary", "close:1000:bye"};
    {
        recorder r;
        ws::decoder d(4096);
        REQUIRE(d.feed(stream.data(), stream.size(), r));
        REQUIRE(r.events == expected);
        CHECK(d.closed());
    }
    {
        recorder r;
        ws::decoder d(4096);
        for (std::size_t i = 0; i < stream.size(); ++i) REQUIRE(d.feed(stream.data() + i, 1, r));
        REQUIRE(r.events == expected);
    }
    ws::decoder d(4096);  // one decoder, reset between cuts: reset() must forget everything
    for (std::size_t first = 0; first <= stream.size(); ++first)
        for (std::size_t second = first; second <= stream.size(); second += 7) {
            recorder r;
            d.reset();
            INFO("cut at " << first << " and " << second);
            REQUIRE(d.feed(stream.data(), first, r));
            REQUIRE(d.feed(stream.data() + first, second - first, r));
            REQUIRE(d.feed(stream.data() + second, stream.size() - second, r));
            REQUIRE(r.events == expected);
        }
}

TEST_CASE("websocket protocol: each protocol error is reported with its reason, and sticks", "[core][websocket]") {
    struct error_case {
        const char* what;
        std::string input;
        std::string reason;
    };
    const std::vector<error_case> cases{
        {"reserved bits", bytes({0xC1, 0x00}),
         "the server set reserved bits 0x40 in a frame header, but no extension was negotiated"},
        {"unknown opcode", bytes({0x83, 0x00}), "the server sent a frame with the unknown opcode 0x3"},
        {"masked", bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
         "the server masked a frame; a server must not mask (RFC 6455 section 5.1)"},
        {"long control", bytes({0x89, 0x7E, 0x00, 0x7E}) + std::string(126, 'p'),
         "the server sent a ping frame of more than 125 bytes; control frames carry at most 125"},
        {"fragmented control", bytes({0x09, 0x00}),
         "the server fragmented a ping frame; control frames must not be fragmented"},
        {"close of 1 byte", bytes({0x88, 0x01, 0x03}),
         "the server sent a close frame with a 1-byte payload; it must be empty or start with a 2-byte status code"},
        {"lone continuation", bytes({0x80, 0x01, 0x61}),
         "the server sent a continuation frame with no fragmented message to continue"},
        {"interleaved message", server_frame(0x01, "a") + server_frame(0x82, "b"),
         "the server started a binary message before finishing its fragmented text message"},
        {"over the limit", server_frame(0x81, std::string(17, 'a')),
         "the server sent a message of at least 17 bytes, more than the limit of 16 bytes"},
        {"fragments over the limit", server_frame(0x01, std::string(10, 'a')) + server_frame(0x80, std::string(10, 'a')),
         "the server sent a message of at least 20 bytes, more than the limit of 16 bytes"},
        {"long 16-bit form", bytes({0x81, 0x7E, 0x00, 0x05}) + "hello",
         "the server encoded a payload length of 5 in 16 bits; the shortest form is required (RFC 6455 section 5.2)"},
        {"long 64-bit form", bytes({0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0, 5}) + "hello",
         "the server encoded a payload length of 5 in 64 bits; the shortest form is required (RFC 6455 section 5.2)"},
        {"top bit of 64-bit length", bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}),
         "the server sent a 64-bit payload length with its top bit set (RFC 6455 section 5.2)"},
        {"bytes after close", server_frame(0x88, bytes({0x03, 0xe8})) + server_frame(0x81, "late"),
         "the server sent bytes after its close frame"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        recorder r;
        ws::decoder d(16);
        const auto result = d.feed(c.input.data(), c.input.size(), r);
        CHECK_FALSE(result.ok);
        CHECK(result.error == c.reason);
        const auto again = d.feed("\x81\x00", 2, r);  // a valid frame after the error changes nothing
        CHECK(again.error == c.reason);
        d.reset();
        REQUIRE(d.feed("\x81\x02ok", 4, r));
        CHECK(r.events.back() == "text:ok");
    }
}

// Found by fuzz/websocket_decoder (fuzz/crashes/websocket_decoder-bytes-after-close): the error
// counted the bytes after the close frame in the read that held them, so the same stream gave
// "84 bytes" in one read and "9 bytes" in four.
TEST_CASE("websocket protocol: bytes after a close frame give the same error however the reads are cut",
          "[core][websocket]") {
    const std::string stream = server_frame(0x88, bytes({0x03, 0xe8}) + "bye") + server_frame(0x81, std::string(80, 'L'));
    const std::size_t close_size = 2 + 5;
    std::vector<std::string> errors;
    for (const std::size_t cut : {stream.size(), close_size, close_size + 1, close_size + 40}) {
        recorder r;
        ws::decoder d(1024);
        auto result = d.feed(stream.data(), cut, r);
        if (result && cut < stream.size()) result = d.feed(stream.data() + cut, stream.size() - cut, r);
        CHECK(r.events == std::vector<std::string>{"close:1000:bye"});
        REQUIRE_FALSE(result.ok);
        errors.emplace_back(result.error);
    }
    CHECK(errors == std::vector<std::string>(4, "the server sent bytes after its close frame"));
}

TEST_CASE("websocket protocol: what the encoder sends, unmasked, decodes to the same bytes", "[core][websocket]") {
    ws::frame_encoder encoder(99);
    ws::decoder d(1 << 20);
    for (std::size_t size : {0u, 125u, 126u, 65535u, 65536u, 1u << 20})
        for (bool binary : {false, true}) {
            INFO("size " << size << (binary ? " binary" : " text"));
            const std::string payload = deterministic_payload(size, binary);
            std::string masked(size, '\0');
            const auto header = encoder.encode(binary ? ws::opcode::binary : ws::opcode::text, payload, masked.data());
            if (size > 0) CHECK(masked != payload);
            const std::string frame = unmask_to_server_frame(header.view(), masked);

            recorder whole;
            REQUIRE(d.feed(frame.data(), frame.size(), whole));
            REQUIRE(whole.events.size() == 1);
            CHECK(whole.events[0] == (binary ? "binary:" : "text:") + payload);

            recorder in_reads;  // 64 KiB at a time, like the engine's reads
            for (std::size_t at = 0; at < frame.size(); at += 65536)
                REQUIRE(d.feed(frame.data() + at, std::min<std::size_t>(65536, frame.size() - at), in_reads));
            CHECK(in_reads.events == whole.events);
        }
}

// ---- against Beast's server ----------------------------------------------------------------------

TEST_CASE("websocket protocol: Beast's server accepts the handshake and echoes our frames", "[core][websocket]") {
    shootout::test::test_server server;
    blocking_client client(server.port());
    const auto h = ws::make_handshake("127.0.0.1:" + std::to_string(server.port()), "/ws-echo", 5);
    auto [verdict, leftover] = shootout::test::upgrade(client, h);
    INFO(verdict.reason);
    REQUIRE(verdict.accepted());

    ws::frame_encoder encoder(5);
    ws::decoder d(1 << 20);
    recorder r;
    if (!leftover.empty()) REQUIRE(d.feed(leftover.data(), leftover.size(), r));
    std::array<char, 65536> buffer{};
    auto exchange = [&](ws::opcode op, const std::string& payload) {
        std::string masked(payload.size(), '\0');
        const auto header = encoder.encode(op, payload, masked.data());
        client.send_all(std::string(header.view()) + masked);
        const std::size_t before = r.events.size();
        for (int reads = 0; reads < 1000 && r.events.size() == before; ++reads) {
            const std::size_t n = client.receive(buffer.data(), buffer.size());
            REQUIRE(n > 0);
            const auto result = d.feed(buffer.data(), n, r);
            INFO(result.error);
            REQUIRE(result);
        }
        REQUIRE(r.events.size() == before + 1);
        return r.events.back();
    };
    CHECK(exchange(ws::opcode::text, "hello, beast") == "text:hello, beast");
    const std::string medium = deterministic_payload(300, true);
    CHECK(exchange(ws::opcode::binary, medium) == "binary:" + medium);
    const std::string large = deterministic_payload(70000, false);
    CHECK(exchange(ws::opcode::text, large) == "text:" + large);
    CHECK(exchange(ws::opcode::text, "") == "text:");
    CHECK(exchange(ws::opcode::ping, "anyone?") == "pong:anyone?");

    const auto close = encoder.encode_close();
    client.send_all(close.view());
    for (int reads = 0; reads < 100 && !d.closed(); ++reads) {
        const std::size_t n = client.receive(buffer.data(), buffer.size());
        if (n == 0) break;
        REQUIRE(d.feed(buffer.data(), n, r));
    }
    CHECK(r.events.back() == "close:1000:");
}

TEST_CASE("websocket protocol: a server without WebSocket at the path is a refusal with its status", "[core][websocket]") {
    shootout::test::test_server server;
    const auto h = ws::make_handshake("127.0.0.1:" + std::to_string(server.port()), "/ws-echo", 5);
    {
        server.set_faults({.refuse_websocket = true});
        blocking_client client(server.port());
        const auto verdict = shootout::test::upgrade(client, h).verdict;
        CHECK(verdict.outcome == ws::upgrade_outcome::refused);
        CHECK(verdict.status == 404);
    }
    {
        server.set_faults({.status = 426});
        blocking_client client(server.port());
        const auto verdict = shootout::test::upgrade(client, h).verdict;
        CHECK(verdict.outcome == ws::upgrade_outcome::refused);
        CHECK(verdict.status == 426);
    }
}
