#include "websocket_protocol.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <new>
#include <sstream>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

namespace shootout::core::engine::websocket {
namespace {

namespace http = boost::beast::http;

// RFC 6455 section 1.3: the server proves it read the key by hashing it with this GUID.
constexpr std::string_view accept_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// splitmix64: a fast generator whose every output is a good 64-bit mix of its state, so
// neighbouring seeds (connection 1, connection 2) give unrelated streams.
std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::string base64(const unsigned char* data, std::size_t size) {
    std::string text(4 * ((size + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL after the text
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), data, static_cast<int>(size));
    text.resize(static_cast<std::size_t>(written));
    return text;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// True if the comma-separated list `value` holds `token`, ignoring case (Connection: keep-alive, Upgrade).
bool has_token(std::string_view value, std::string_view token) noexcept {
    while (!value.empty()) {
        const auto comma = value.find(',');
        if (iequals(trim(value.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

std::string quoted_or_absent(std::string_view value, std::string_view header) {
    if (trim(value).empty()) return fmt::format("no {} header", header);
    return fmt::format("got '{}'", value.substr(0, 80));
}

const char* opcode_name(opcode op) noexcept {
    switch (op) {
        case opcode::continuation: return "continuation";
        case opcode::text: return "text";
        case opcode::binary: return "binary";
        case opcode::close: return "close";
        case opcode::ping: return "ping";
        case opcode::pong: return "pong";
    }
    return "unknown";
}

bool is_known(std::uint8_t op) noexcept { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }
bool is_control(opcode op) noexcept { return static_cast<std::uint8_t>(op) >= 0x8; }

}  // namespace

// ---- handshake ------------------------------------------------------------------------------------

std::string accept_for_key(std::string_view key) {
    std::string input;
    input.reserve(key.size() + accept_guid.size());
    input.append(key).append(accept_guid);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr);
    return base64(digest, length);
}

handshake make_handshake(std::string_view host_header, std::string_view target, std::uint64_t seed) {
    std::uint64_t state = seed;
    std::array<unsigned char, 16> nonce{};
    for (std::size_t i = 0; i < nonce.size(); i += 8) {
        const std::uint64_t bits = splitmix64(state);
        std::memcpy(nonce.data() + i, &bits, 8);
    }
    handshake h;
    h.key = base64(nonce.data(), nonce.size());
    h.expected_accept = accept_for_key(h.key);

    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, host_header);
    request.set(http::field::upgrade, "websocket");
    request.set(http::field::connection, "Upgrade");
    request.set(http::field::sec_websocket_key, h.key);
    request.set(http::field::sec_websocket_version, "13");
    std::ostringstream out;
    out << request;
    h.request = std::move(out).str();
    return h;
}

upgrade_verdict judge_upgrade(const upgrade_response& response, std::string_view expected_accept) {
    upgrade_verdict v;
    v.status = response.status;
    auto invalid = [&v](std::string reason) {
        v.outcome = upgrade_outcome::invalid;
        v.reason = std::move(reason);
        return v;
    };
    if (response.status != 101) {
        v.outcome = upgrade_outcome::refused;
        v.reason = fmt::format("the server answered the upgrade with status {}, not 101 Switching Protocols",
                               response.status);
        return v;
    }
    if (!iequals(trim(response.upgrade), "websocket"))
        return invalid(fmt::format("101 without 'Upgrade: websocket' ({})", quoted_or_absent(response.upgrade, "Upgrade")));
    if (!has_token(response.connection, "upgrade"))
        return invalid(fmt::format("101 without 'Connection: Upgrade' ({})",
                                   quoted_or_absent(response.connection, "Connection")));
    if (trim(response.accept) != expected_accept)
        return invalid(fmt::format("101 with Sec-WebSocket-Accept '{}', expected '{}' for the key sent",
                                   trim(response.accept).substr(0, 80), expected_accept));
    if (!trim(response.extensions).empty())
        return invalid(fmt::format("101 with extension '{}', which the client did not offer",
                                   trim(response.extensions).substr(0, 80)));
    if (!trim(response.protocol).empty())
        return invalid(fmt::format("101 with subprotocol '{}', which the client did not offer",
                                   trim(response.protocol).substr(0, 80)));
    return v;
}

// ---- encoding --------------------------------------------------------------------------------------

void mask(const char* in, char* out, std::size_t size, const std::array<std::uint8_t, 4>& key,
          std::size_t key_offset) noexcept {
    std::array<std::uint8_t, 8> repeated{};
    for (std::size_t i = 0; i < repeated.size(); ++i) repeated[i] = key[(key_offset + i) % 4];
    // The pattern is copied as bytes, so the 64-bit XOR is right whatever the byte order.
    std::uint64_t pattern;
    std::memcpy(&pattern, repeated.data(), 8);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, in + i, 8);
        word ^= pattern;
        std::memcpy(out + i, &word, 8);
    }
    for (; i < size; ++i) out[i] = static_cast<char>(static_cast<std::uint8_t>(in[i]) ^ repeated[i % 4]);
}

frame_header encode_frame(opcode op, std::string_view payload, const std::array<std::uint8_t, 4>& key,
                          char* masked_payload) noexcept {
    frame_header h;
    auto* b = reinterpret_cast<unsigned char*>(h.bytes.data());
    b[0] = static_cast<unsigned char>(0x80 | static_cast<std::uint8_t>(op));  // FIN: one frame per message
    const std::uint64_t length = payload.size();
    std::size_t at = 2;
    if (length < 126) {
        b[1] = static_cast<unsigned char>(0x80 | length);
    } else if (length <= 0xFFFF) {
        b[1] = 0x80 | 126;
        b[2] = static_cast<unsigned char>(length >> 8);
        b[3] = static_cast<unsigned char>(length);
        at = 4;
    } else {
        b[1] = 0x80 | 127;
        for (int i = 0; i < 8; ++i) b[2 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
        at = 10;
    }
    std::memcpy(b + at, key.data(), 4);
    h.size = at + 4;
    mask(payload.data(), masked_payload, payload.size(), key);
    return h;
}

std::array<std::uint8_t, 4> frame_encoder::next_key() noexcept {
    const std::uint64_t bits = splitmix64(state_);
    std::array<std::uint8_t, 4> key;
    std::memcpy(key.data(), &bits, 4);
    return key;
}

frame_header frame_encoder::encode(opcode op, std::string_view payload, char* masked_payload) noexcept {
    return encode_frame(op, payload, next_key(), masked_payload);
}

control_frame frame_encoder::encode_control(opcode op, std::string_view payload) noexcept {
    payload = payload.substr(0, max_control_payload);
    control_frame frame;
    const frame_header h = encode(op, payload, frame.bytes.data() + 6);  // a short payload has a 6-byte header
    std::memcpy(frame.bytes.data(), h.bytes.data(), h.size);
    frame.size = h.size + payload.size();
    return frame;
}

control_frame frame_encoder::encode_close(std::uint16_t code) noexcept {
    const char status[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return encode_control(opcode::close, {status, 2});
}

// ---- decoding --------------------------------------------------------------------------------------

feed_result decoder::fail(std::string_view message) noexcept {
    state_ = state::failed;
    error_size_ = std::min(message.size(), error_.size());
    std::memcpy(error_.data(), message.data(), error_size_);
    return {false, {error_.data(), error_size_}};
}

template <typename... Args>
feed_result decoder::fail_format(const char* format, const Args&... args) noexcept {
    try {
        const auto r = fmt::format_to_n(error_.data(), error_.size(), fmt::runtime(format), args...);
        error_size_ = std::min(r.size, error_.size());
    } catch (...) {
        return fail(format);
    }
    state_ = state::failed;
    return {false, {error_.data(), error_size_}};
}

void decoder::reserve(std::size_t bytes) { message_.reserve(std::min(bytes, max_message_size_)); }

void decoder::reset() noexcept {
    state_ = state::header;
    header_have_ = 0;
    header_need_ = 2;
    frame_left_ = 0;
    in_message_ = false;
    message_.clear();
    control_have_ = 0;
    error_size_ = 0;
}

std::size_t decoder::check_start(std::uint8_t first, std::uint8_t second, feed_result& error) noexcept {
    if (first & 0x70) {
        error = fail_format("the server set reserved bits 0x{:02x} in a frame header, but no extension was negotiated",
                            first & 0x70);
        return 0;
    }
    const std::uint8_t op = first & 0x0F;
    if (!is_known(op)) {
        error = fail_format("the server sent a frame with the unknown opcode 0x{:x}", op);
        return 0;
    }
    const auto code = static_cast<opcode>(op);
    const bool fin = first & 0x80;
    if (second & 0x80) {
        error = fail("the server masked a frame; a server must not mask (RFC 6455 section 5.1)");
        return 0;
    }
    const std::uint8_t length7 = second & 0x7F;
    if (is_control(code)) {
        if (!fin) {
            error = fail_format("the server fragmented a {} frame; control frames must not be fragmented",
                                opcode_name(code));
            return 0;
        }
        if (length7 > max_control_payload) {
            error = fail_format("the server sent a {} frame of more than 125 bytes; control frames carry at most 125",
                                opcode_name(code));
            return 0;
        }
        if (code == opcode::close && length7 == 1) {
            error = fail("the server sent a close frame with a 1-byte payload; it must be empty or start with a "
                         "2-byte status code");
            return 0;
        }
    } else if (code == opcode::continuation && !in_message_) {
        error = fail("the server sent a continuation frame with no fragmented message to continue");
        return 0;
    } else if (code != opcode::continuation && in_message_) {
        error = fail_format("the server started a {} message before finishing its fragmented {} message",
                            opcode_name(code), message_binary_ ? "binary" : "text");
        return 0;
    }
    return length7 == 126 ? 4 : length7 == 127 ? 10 : 2;
}

bool decoder::begin_frame(const std::uint8_t* header, feed_result& error) noexcept {
    frame_opcode_ = static_cast<opcode>(header[0] & 0x0F);
    frame_fin_ = header[0] & 0x80;
    const std::uint8_t length7 = header[1] & 0x7F;
    std::uint64_t length = length7;
    if (length7 == 126) {
        length = (std::uint64_t{header[2]} << 8) | header[3];
        if (length < 126) {
            error = fail_format("the server encoded a payload length of {} in 16 bits; the shortest form is required "
                                "(RFC 6455 section 5.2)", length);
            return false;
        }
    } else if (length7 == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | header[2 + i];
        if (length >> 63) {
            error = fail("the server sent a 64-bit payload length with its top bit set (RFC 6455 section 5.2)");
            return false;
        }
        if (length <= 0xFFFF) {
            error = fail_format("the server encoded a payload length of {} in 64 bits; the shortest form is required "
                                "(RFC 6455 section 5.2)", length);
            return false;
        }
    }
    if (!is_control(frame_opcode_)) {
        const std::uint64_t so_far = in_message_ ? message_.size() : 0;
        if (length > max_message_size_ - so_far) {
            error = fail_format("the server sent a message of at least {} bytes, more than the limit of {} bytes",
                                so_far + length, max_message_size_);
            return false;
        }
        if (frame_opcode_ != opcode::continuation) {
            message_binary_ = frame_opcode_ == opcode::binary;
            in_message_ = !frame_fin_;
        }
    }
    frame_left_ = length;
    control_have_ = 0;
    state_ = state::payload;
    return true;
}

void decoder::end_frame(std::string_view payload, handler& h) {
    state_ = state::header;
    switch (frame_opcode_) {
        case opcode::ping: h.on_ping(payload); return;
        case opcode::pong: h.on_pong(payload); return;
        case opcode::close: {
            state_ = state::closed;
            if (payload.size() < 2) return h.on_close(close_no_status, {});
            const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
            return h.on_close(static_cast<std::uint16_t>((p[0] << 8) | p[1]), payload.substr(2));
        }
        default:
            if (!frame_fin_) return;  // a fragment: its bytes wait in message_ for the rest
            in_message_ = false;
            h.on_message(payload, message_binary_);
            message_.clear();
    }
}

feed_result decoder::feed(const char* data, std::size_t size, handler& h) {
    if (state_ == state::failed) return {false, {error_.data(), error_size_}};
    feed_result result;
    std::size_t at = 0;
    // A frame with an empty payload is complete as soon as its header is: the loop runs once more.
    while (at < size || (state_ == state::payload && frame_left_ == 0)) {
        // No count of the bytes: how many of them this read holds depends on where the kernel
        // cut the stream, and the same stream must give the same error (fuzz/websocket_decoder).
        if (state_ == state::closed) return fail("the server sent bytes after its close frame");

        if (state_ == state::header) {
            // At most 14 bytes, so they are always gathered into header_: simpler than a second path.
            const std::size_t take = std::min(header_need_ - header_have_, size - at);
            std::memcpy(header_.data() + header_have_, data + at, take);
            header_have_ += take;
            at += take;
            if (header_have_ == 2 && header_need_ == 2) {
                header_need_ = check_start(header_[0], header_[1], result);
                if (header_need_ == 0) return result;
            }
            if (header_have_ < header_need_) continue;
            const bool ok = begin_frame(header_.data(), result);
            header_have_ = 0;
            header_need_ = 2;
            if (!ok) return result;
            continue;
        }

        // state::payload
        const std::size_t available = static_cast<std::size_t>(std::min<std::uint64_t>(frame_left_, size - at));
        const char* bytes = data + at;
        at += available;
        if (is_control(frame_opcode_)) {
            if (control_have_ == 0 && available == frame_left_) {  // whole in this slice: in place
                frame_left_ = 0;
                end_frame({bytes, available}, h);
                continue;
            }
            std::memcpy(control_.data() + control_have_, bytes, available);
            control_have_ += available;
            frame_left_ -= available;
            if (frame_left_ == 0) end_frame({control_.data(), control_have_}, h);
            continue;
        }
        const bool untouched = message_.empty() && !in_message_ && frame_fin_;
        if (untouched && available == frame_left_) {  // one frame, whole in this slice: in place
            frame_left_ = 0;
            end_frame({bytes, available}, h);
            continue;
        }
        try {
            message_.append(bytes, available);
        } catch (const std::bad_alloc&) {
            return fail_format("out of memory gathering a message of {} bytes", message_.size() + frame_left_);
        }
        frame_left_ -= available;
        if (frame_left_ == 0) end_frame(message_, h);
    }
    return result;
}

}  // namespace shootout::core::engine::websocket
