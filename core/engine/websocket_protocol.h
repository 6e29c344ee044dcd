// RFC 6455, client side, without an event loop: the upgrade request and the judgement of its
// answer, frame encoding, and an incremental frame decoder. The engine owns the sockets and
// feeds these pieces; they do no I/O and allocate nothing per message (the handshake is built
// once per connection, and the decoder's message buffer grows only when a message is larger
// than any before it on that connection).
//
// Beast's websocket::stream cannot be used on the load path: it needs an Asio stream, and the
// engine's connections live in a hand-written epoll loop (see engine.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shootout::core::engine::websocket {

// ---- the opening handshake (RFC 6455 section 4) -------------------------------------------------

/// The upgrade request of one connection and the accept value its answer must carry.
struct handshake {
    std::string request;          ///< "GET <target> HTTP/1.1" with Host, Upgrade, Connection, key, version
    std::string key;              ///< Sec-WebSocket-Key as sent: base64 of 16 bytes, 24 characters
    std::string expected_accept;  ///< Sec-WebSocket-Accept the server must answer with
};

/// Builds the upgrade request for `target` (path and query, "/ws-echo") on `host_header`
/// ("127.0.0.1:8083"). The key's 16 bytes come from `seed`, so the same seed gives the same
/// request: a run is reproducible byte for byte. Called once per connection.
handshake make_handshake(std::string_view host_header, std::string_view target, std::uint64_t seed);

/// The Sec-WebSocket-Accept value for `key`: base64(SHA-1(key + the RFC 6455 GUID)).
std::string accept_for_key(std::string_view key);

/// The headers of the answer to the upgrade that decide it, as the engine's parser saw them.
/// A header that was absent is empty; a header that came several times is passed joined with
/// ", " (as RFC 9110 section 5.3 allows for list-valued fields).
struct upgrade_response {
    unsigned status = 0;
    std::string_view upgrade;     ///< Upgrade
    std::string_view connection;  ///< Connection
    std::string_view accept;      ///< Sec-WebSocket-Accept
    std::string_view extensions;  ///< Sec-WebSocket-Extensions: none was offered, so any is an error
    std::string_view protocol;    ///< Sec-WebSocket-Protocol: none was offered, so any is an error
};

enum class upgrade_outcome {
    accepted,  ///< 101 with every header right: frames follow
    refused,   ///< any status but 101: the server does not offer WebSocket there (report "not supported")
    invalid,   ///< 101, but a header is wrong: the server broke the protocol (report an error)
};

struct upgrade_verdict {
    upgrade_outcome outcome = upgrade_outcome::accepted;
    unsigned status = 0;  ///< the response's status, for "does not offer WebSocket at /ws-echo (status 404)"
    std::string reason;   ///< empty when accepted; otherwise one line for a person

    bool accepted() const noexcept { return outcome == upgrade_outcome::accepted; }
};

/// Judges the answer to the upgrade (RFC 6455 section 4.1, the client's checks).
upgrade_verdict judge_upgrade(const upgrade_response& response, std::string_view expected_accept);

// ---- frames (RFC 6455 section 5) ------------------------------------------------------------------

enum class opcode : std::uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

/// The longest frame header: 2 bytes, a 64-bit length, a 4-byte masking key.
inline constexpr std::size_t max_frame_header_size = 14;
/// The longest payload of a control frame (close, ping, pong).
inline constexpr std::size_t max_control_payload = 125;
/// The status of a normal close.
inline constexpr std::uint16_t close_normal = 1000;
/// What on_close() reports for a close frame without a status code (RFC 6455 section 7.1.5).
inline constexpr std::uint16_t close_no_status = 1005;

/// XORs `size` bytes of `in` with the repeated 4-byte masking `key` into `out` (which may be
/// `in`), eight bytes at a time. `key_offset` is the position in the payload of in[0], for
/// masking a payload in pieces.
void mask(const char* in, char* out, std::size_t size, const std::array<std::uint8_t, 4>& key,
          std::size_t key_offset = 0) noexcept;

/// The header of one client frame, built in place.
struct frame_header {
    std::array<char, max_frame_header_size> bytes{};
    std::size_t size = 0;
    std::string_view view() const noexcept { return {bytes.data(), size}; }
};

/// A whole client control frame: header and masked payload, built in place.
struct control_frame {
    std::array<char, 6 + max_control_payload> bytes{};
    std::size_t size = 0;
    std::string_view view() const noexcept { return {bytes.data(), size}; }
};

/// Writes one final (FIN) client frame with the given masking key: the header into the returned
/// value, the masked payload into `masked_payload` (payload.size() bytes, may be payload.data()).
/// For tests and for callers that choose keys themselves; the engine uses frame_encoder.
frame_header encode_frame(opcode op, std::string_view payload, const std::array<std::uint8_t, 4>& key,
                          char* masked_payload) noexcept;

/// Encodes client frames for one connection, each with a fresh masking key.
///
/// RFC 6455 section 5.3 wants keys the server cannot predict, to protect intermediaries
/// against cache poisoning by a hostile script in a browser. A benchmark client talks to a
/// server it chose and runs no foreign code, so keys from a fast PRNG seeded per connection
/// (splitmix64) are enough here, and they keep runs reproducible.
class frame_encoder {
public:
    explicit frame_encoder(std::uint64_t seed) noexcept : state_(seed) {}

    /// A final frame of `op` carrying `payload`: returns the header, writes the masked payload to
    /// `masked_payload` (payload.size() bytes; the engine keeps one such buffer per connection).
    frame_header encode(opcode op, std::string_view payload, char* masked_payload) noexcept;
    /// A whole ping or pong (for answering the server's ping). A payload longer than 125 bytes,
    /// which no valid ping carries, is cut to 125.
    control_frame encode_control(opcode op, std::string_view payload) noexcept;
    /// A whole close frame with `code` and no reason.
    control_frame encode_close(std::uint16_t code = close_normal) noexcept;

private:
    std::array<std::uint8_t, 4> next_key() noexcept;
    std::uint64_t state_;
};

// ---- decoding the server's frames ------------------------------------------------------------------

/// Receives what the decoder finds, in wire order. Every string_view is valid only during the
/// call. A handler must not call feed() or reset() on the decoder that calls it.
class handler {
public:
    /// A whole data message, reassembled if it came in fragments.
    virtual void on_message(std::string_view data, bool binary) = 0;
    /// A ping (possibly between the fragments of a message); the client should answer with a pong.
    virtual void on_ping(std::string_view payload) = 0;
    virtual void on_pong(std::string_view payload) = 0;
    /// The server's close frame; `code` is close_no_status if it carried none. The decoder
    /// accepts no bytes after it.
    virtual void on_close(std::uint16_t code, std::string_view reason) = 0;

protected:
    ~handler() = default;
};

/// The outcome of feed(): ok, or the first protocol error, after which the connection must be
/// dropped (RFC 6455 section 7.1.7: "fail the WebSocket connection").
struct feed_result {
    bool ok = true;
    std::string_view error;  ///< one line for a person; owned by the decoder, valid until reset()

    explicit operator bool() const noexcept { return ok; }
};

/// Decodes the server's frames from a byte stream cut anywhere: a header may be split across
/// reads, a read may hold several frames. Checks what a client must (server frames unmasked, no
/// reserved bits since no extension is negotiated, known opcodes, control frames final and at
/// most 125 bytes, the shortest length encoding, fragments in order) but not UTF-8 in text.
///
/// A message that is one frame and arrives whole in one slice is handed over in place, without a
/// copy; one that spans reads or fragments is gathered in a buffer owned by the decoder.
class decoder {
public:
    /// `max_message_size`: the largest message accepted (a larger one is an error, before any of
    /// it is buffered).
    explicit decoder(std::size_t max_message_size) noexcept : max_message_size_(max_message_size) {}

    /// Sizes the gathering buffer up front, so that messages up to `bytes` never allocate.
    void reserve(std::size_t bytes);
    /// Decodes `size` bytes, calling `h` for everything complete. After an error, every further
    /// call returns the same error until reset().
    /// Not noexcept: the handler's calls run the engine's and the scenario's code, whose exceptions
    /// must reach the worker's catch (and the host's error report), not std::terminate.
    feed_result feed(const char* data, std::size_t size, handler& h);
    /// Back to the start of a stream (a new connection), keeping the buffer's capacity.
    void reset() noexcept;

    /// True between a close frame and reset().
    bool closed() const noexcept { return state_ == state::closed; }

private:
    enum class state { header, payload, closed, failed };

    feed_result fail(std::string_view message) noexcept;
    template <typename... Args>
    feed_result fail_format(const char* format, const Args&... args) noexcept;
    // Checks the first two bytes; returns the header's full size, or 0 after failing.
    std::size_t check_start(std::uint8_t first, std::uint8_t second, feed_result& error) noexcept;
    // Takes a complete header; false after failing.
    bool begin_frame(const std::uint8_t* header, feed_result& error) noexcept;
    // The current frame's payload is complete (`payload` is all of it).
    void end_frame(std::string_view payload, handler& h);

    std::size_t max_message_size_;
    state state_ = state::header;

    std::array<std::uint8_t, max_frame_header_size> header_{};
    std::size_t header_have_ = 0, header_need_ = 2;

    opcode frame_opcode_ = opcode::continuation;
    bool frame_fin_ = false;
    std::uint64_t frame_left_ = 0;  // payload bytes of the current frame still to come

    bool in_message_ = false;   // a fragmented message is open
    bool message_binary_ = false;
    std::string message_;       // the message gathered so far, when it spans reads or fragments
    std::array<char, max_control_payload> control_{};
    std::size_t control_have_ = 0;

    std::array<char, 200> error_{};
    std::size_t error_size_ = 0;
};

}  // namespace shootout::core::engine::websocket
