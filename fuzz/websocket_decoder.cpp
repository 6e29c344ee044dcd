// Fuzz target: the engine's WebSocket frame decoder (core/engine/websocket_protocol.h), fed the
// server's side of a connection in reads the fuzzer cuts. Whatever the cuts, the decoder must
// report the same messages, pings, pongs and close, and the same error, as when the bytes come in
// one read: the engine's reads end wherever the kernel's do.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "engine/websocket_protocol.h"

namespace ws = shootout::core::engine::websocket;

namespace {

// Writes every event as a line, so two runs compare as two strings.
class recorder final : public ws::handler {
public:
    void on_message(std::string_view data, bool binary) override { event(binary ? "binary" : "text", data); }
    void on_ping(std::string_view payload) override { event("ping", payload); }
    void on_pong(std::string_view payload) override { event("pong", payload); }
    void on_close(std::uint16_t code, std::string_view reason) override {
        event("close " + std::to_string(code), reason);
    }
    std::string log;

private:
    void event(const std::string& what, std::string_view bytes) {
        log += what;
        log += ' ';
        log += std::to_string(bytes.size());
        log += ':';
        log.append(bytes);
        log += '\n';
    }
};

// For the report of a finding: the logs hold payload bytes.
std::string printable(std::string_view bytes) {
    std::string out;
    for (const unsigned char c : bytes) {
        if (c == '\n' || (c >= 0x20 && c < 0x7f)) out += static_cast<char>(c);
        else out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
    }
    return out;
}

std::string decode(ws::decoder& d, std::string_view stream, const std::vector<std::size_t>& cuts) {
    recorder r;
    std::size_t at = 0;
    ws::feed_result result;
    for (std::size_t i = 0; i <= cuts.size() && result; ++i) {
        const std::size_t end = i < cuts.size() ? std::max(at, std::min(cuts[i], stream.size())) : stream.size();
        result = d.feed(stream.data() + at, end - at, r);
        at = end;
    }
    if (!result) r.log += "error: " + std::string(result.error) + "\n";
    if (d.closed()) r.log += "closed\n";
    return r.log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    static constexpr std::size_t limits[] = {0, 125, 126, 4096, 65536, 1 << 20};
    const std::size_t limit = limits[in.ConsumeIntegralInRange<std::size_t>(0, std::size(limits) - 1)];
    std::vector<std::size_t> cuts(in.ConsumeIntegralInRange<std::size_t>(0, 8));
    for (auto& c : cuts) c = in.ConsumeIntegral<std::uint16_t>();
    std::sort(cuts.begin(), cuts.end());
    const std::string stream = in.ConsumeRemainingBytesAsString();

    ws::decoder whole(limit), pieces(limit);
    const std::string expected = decode(whole, stream, {});
    const std::string got = decode(pieces, stream, cuts);
    if (expected != got) {  // where a read ended changed what was decoded
        std::fprintf(stderr, "in one read:\n%s\nin %zu reads:\n%s\n", printable(expected).c_str(), cuts.size() + 1,
                     printable(got).c_str());
        std::abort();
    }

    // reset() gives a decoder that decodes the same stream the same way again.
    pieces.reset();
    if (decode(pieces, stream, {}) != expected) std::abort();
    return 0;
}
