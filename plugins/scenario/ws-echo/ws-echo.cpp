// WebSocket /ws-echo: one message in flight per connection, every reply compared byte for byte.
#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

// The first bytes of every message carry its number, least significant digit first, so two
// consecutive messages differ in their first byte: a server that answers with the previous
// message, or with another connection's, fails the check.
constexpr std::size_t stamp_size = 8;
constexpr std::uint64_t min_size = stamp_size;
constexpr std::uint64_t max_size = 16ull * 1024 * 1024;
constexpr std::string_view text_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::uint64_t xorshift(std::uint64_t& x) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

std::string describe_byte(char c, bool binary) {
    if (!binary && c >= 32 && c < 127) return std::string("'") + c + "'";
    static constexpr char hex[] = "0123456789abcdef";
    const auto u = static_cast<unsigned char>(c);
    return std::string("0x") + hex[u >> 4] + hex[u & 15];
}

class ws_echo_session final : public websocket_session {
public:
    ws_echo_session(std::uint64_t size, bool binary, const session_context& context)
        : binary_(binary), connection_(context.connection), message_(size, '\0') {
        // The rest of the message is filler drawn from the connection's seed: different on
        // every connection, the same on every run.
        std::uint64_t x = context.seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
        if (x == 0) x = 1;  // xorshift's one fixed point
        for (auto& c : message_) {
            const auto bits = xorshift(x);
            c = binary_ ? static_cast<char>(bits >> 56) : text_alphabet[bits >> 58];
        }
    }

    ws_message next_message() override {
        ++sent_;
        std::uint64_t n = sent_;
        for (std::size_t i = 0; i < stamp_size; ++i, n >>= 6)
            message_[i] = binary_ ? static_cast<char>(n & 0x3F) : text_alphabet[n & 0x3F];
        return {message_, binary_};
    }

    verdict check_reply(std::string_view data, bool binary) override {
        if (binary != binary_)
            return verdict::fail(where() + ": a " + (binary ? "binary" : "text") + " message, expected " +
                                 (binary_ ? "binary" : "text"));
        if (data.size() != message_.size())
            return verdict::fail(where() + ": " + std::to_string(data.size()) + " bytes, expected " +
                                 std::to_string(message_.size()));
        if (data == message_) return verdict::pass();
        std::size_t i = 0;
        while (data[i] == message_[i]) ++i;
        return verdict::fail(where() + ": byte " + std::to_string(i) + " is " + describe_byte(data[i], binary_) +
                             ", expected " + describe_byte(message_[i], binary_));
    }

private:
    std::string where() const {
        return "reply " + std::to_string(sent_) + " of connection " + std::to_string(connection_);
    }

    bool binary_;
    std::uint64_t connection_;
    std::uint64_t sent_ = 0;
    std::string message_;  // the message last sent, which is also the reply expected
};

class ws_echo final : public scenario {
public:
    static constexpr std::array<option_spec, 3> options{{
        {"path", option_type::string, "/ws-echo", "request target of the upgrade, appended to the framework's URL"},
        {"size", option_type::size, "64B", "message size (8 bytes to 16MiB)"},
        {"binary", option_type::boolean, "false", "send binary messages instead of text"},
    }};

    explicit ws_echo(const plugin_context& context)
        : path_(context.options.string("path")), size_(context.options.size("size")),
          binary_(context.options.boolean("binary")) {
        if (path_.empty() || path_.front() != '/') throw config_error("path", "must start with '/'");
        if (size_ < min_size || size_ > max_size)
            throw config_error("size", "must be 8 bytes (room for the message number) to 16MiB");
    }

    shootout::sdk::transport transport() const override { return transport::websocket; }
    void prepare(const target&) override {}
    std::string websocket_path() const override { return path_; }
    std::unique_ptr<websocket_session> open_websocket_session(const session_context& context) const override {
        return std::make_unique<ws_echo_session>(size_, binary_, context);
    }

private:
    std::string path_;
    std::uint64_t size_;
    bool binary_;
};

}  // namespace

SHOOTOUT_REGISTER_SCENARIO(ws_echo, "ws-echo", "1.0.0",
                           "WebSocket /ws-echo: each message echoed unchanged, text as text, binary as binary")
