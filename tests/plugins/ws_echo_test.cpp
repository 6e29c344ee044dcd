// The ws-echo scenario, loaded from its built library: its sessions' messages and judgements
// directly, then its messages through Beast's echo server with the engine's protocol pieces.
#include <catch2/catch.hpp>

#include "engine/websocket_protocol.h"
#include "plugin_host.h"
#include "test_helpers.h"
#include "test_server.h"
#include "ws_test_client.h"

using namespace shootout;
namespace ws = core::engine::websocket;

namespace {

const core::plugin_host& plugins() { return test::builtin_plugin_host(); }

std::unique_ptr<sdk::scenario> ws_echo(const std::vector<std::pair<std::string, sdk::option_values::value>>& options = {}) {
    const auto* info = plugins().find(core::plugin_kind::scenario, "ws-echo");
    REQUIRE(info);
    auto values = info->defaults;
    for (const auto& [key, value] : options) values.set(key, value);
    return plugins().make_scenario(*info, values);
}

const sdk::target any_target{"test", "http://127.0.0.1:1", "127.0.0.1:1", ""};

std::unique_ptr<sdk::websocket_session> session(const sdk::scenario& s, std::uint64_t connection, std::uint64_t seed) {
    auto session = s.open_websocket_session({any_target, sdk::session_role::load, 0, connection, seed});
    REQUIRE(session);
    return session;
}

}  // namespace

TEST_CASE("ws-echo: a WebSocket scenario on /ws-echo sending 64-byte text messages by default", "[plugins][ws-echo]") {
    auto s = ws_echo();
    CHECK(s->transport() == sdk::transport::websocket);
    CHECK(s->websocket_path() == "/ws-echo");
    auto sn = session(*s, 0, 1);
    const auto m = sn->next_message();
    CHECK(m.data.size() == 64);
    CHECK_FALSE(m.binary);
    const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (char c : m.data) CHECK(alphabet.find(c) != std::string_view::npos);
}

TEST_CASE("ws-echo: the echo passes, and a wrong kind, length or byte fails naming reply and connection", "[plugins][ws-echo]") {
    auto s = ws_echo();
    auto sn = session(*s, 7, 42);
    sn->next_message();
    sn->next_message();
    const std::string sent(sn->next_message().data);
    CHECK(sn->check_reply(sent, false).ok);

    const auto wrong_kind = sn->check_reply(sent, true);
    CHECK_FALSE(wrong_kind.ok);
    CHECK(wrong_kind.reason == "reply 3 of connection 7: a binary message, expected text");

    const auto short_reply = sn->check_reply(std::string_view(sent).substr(0, 63), false);
    CHECK(short_reply.reason == "reply 3 of connection 7: 63 bytes, expected 64");

    std::string changed = sent;
    changed[17] = changed[17] == 'x' ? 'y' : 'x';
    const auto wrong_byte = sn->check_reply(changed, false);
    CHECK(wrong_byte.reason == std::string("reply 3 of connection 7: byte 17 is '") + changed[17] + "', expected '" +
                                   sent[17] + "'");
}

TEST_CASE("ws-echo: each message differs from the last, connections differ, runs repeat", "[plugins][ws-echo]") {
    auto s = ws_echo();
    auto a = session(*s, 0, 100);
    auto b = session(*s, 1, 101);
    auto a_again = session(*s, 0, 100);
    std::string previous;
    for (int i = 0; i < 1000; ++i) {
        const std::string message(a->next_message().data);
        if (!previous.empty()) {
            CHECK(message[0] != previous[0]);
            CHECK_FALSE(a->check_reply(previous, false).ok);  // a server one message behind is caught
        }
        CHECK(b->next_message().data != message);
        CHECK(a_again->next_message().data == message);
        previous = message;
    }
}

TEST_CASE("ws-echo: binary messages of any size in range, and sizes out of range refused", "[plugins][ws-echo]") {
    auto s = ws_echo({{"binary", true}, {"size", std::uint64_t{1} << 20}});
    auto sn = session(*s, 3, 9);
    const auto m = sn->next_message();
    CHECK(m.binary);
    CHECK(m.data.size() == (1u << 20));
    const std::string sent(m.data);
    CHECK(sn->check_reply(sent, true).ok);
    std::string changed = sent;
    changed[1000] = static_cast<char>(changed[1000] ^ 0xff);
    CHECK(sn->check_reply(changed, true).reason.find("reply 1 of connection 3: byte 1000 is 0x") == 0);

    for (std::uint64_t size : {std::uint64_t{7}, (std::uint64_t{16} << 20) + 1}) {
        try {
            ws_echo({{"size", size}});
            FAIL("size " << size << " was accepted");
        } catch (const sdk::config_error& e) {
            CHECK(e.key() == "size");
            CHECK(std::string(e.what()) == "must be 8 bytes (room for the message number) to 16MiB");
        }
    }
}

TEST_CASE("ws-echo: its messages come back intact from Beast's WebSocket server", "[plugins][ws-echo]") {
    test::test_server server;
    for (bool binary : {false, true}) {
        INFO((binary ? "binary" : "text"));
        auto s = ws_echo({{"binary", binary}, {"size", std::uint64_t{300}}});
        auto sn = session(*s, 0, 5);
        test::blocking_client client(server.port());
        const auto h = ws::make_handshake("127.0.0.1:" + std::to_string(server.port()), s->websocket_path(), 5);
        auto [verdict, leftover] = test::upgrade(client, h);
        REQUIRE(verdict.accepted());
        REQUIRE(leftover.empty());

        struct reply_checker final : ws::handler {
            sdk::websocket_session* session = nullptr;
            int replies = 0;
            std::string failure;
            void on_message(std::string_view data, bool is_binary) override {
                ++replies;
                if (auto v = session->check_reply(data, is_binary); !v.ok) failure = v.reason;
            }
            void on_ping(std::string_view) override {}
            void on_pong(std::string_view) override {}
            void on_close(std::uint16_t, std::string_view) override {}
        } checker;
        checker.session = sn.get();

        ws::frame_encoder encoder(5);
        ws::decoder decoder(1 << 16);
        std::string masked(300, '\0');
        std::array<char, 4096> buffer{};
        for (int i = 1; i <= 50; ++i) {
            const auto m = sn->next_message();
            const auto header = encoder.encode(m.binary ? ws::opcode::binary : ws::opcode::text, m.data, masked.data());
            client.send_all(std::string(header.view()) + masked);
            for (int reads = 0; reads < 100 && checker.replies < i; ++reads) {
                const std::size_t n = client.receive(buffer.data(), buffer.size());
                REQUIRE(n > 0);
                REQUIRE(decoder.feed(buffer.data(), n, checker));
            }
            REQUIRE(checker.replies == i);
            REQUIRE(checker.failure.empty());
        }
    }
}
