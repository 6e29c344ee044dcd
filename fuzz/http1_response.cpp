// Fuzz target: the engine's HTTP/1.1 response parser (core/engine/http1_parser.h), fed through
// response_reader, the function the engine's connection feeds every read to: put() until
// need_more, the unconsumed tail carried to the next read, interim responses skipped, done when
// is_done(), put_eof() when the peer closes a response that needs it. The input is cut in two reads at a point the fuzzer chooses, and the outcome must be
// the same as when it comes in one read: a response parsed differently because of where a read
// ended would be a wrong figure in a benchmark, not just a crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "engine/http1_parser.h"

namespace engine = shootout::core::engine;
namespace sdk = shootout::sdk;

namespace {

// A check that holds the parser to its contract: begin() once, before any body, and the body it
// streams is the body the sink counts.
class contract_check final : public sdk::response_check {
public:
    void begin(const sdk::response_head&) override {
        if (begun_) std::abort();  // begin() twice for one response
        begun_ = true;
    }
    void on_body(std::string_view chunk) override {
        if (!begun_) std::abort();  // body before the head
        bytes_ += chunk.size();
    }
    sdk::verdict end() override { return {}; }
    bool begun_ = false;
    std::uint64_t bytes_ = 0;
};

struct outcome {
    bool error = false, done = false;
    unsigned status = 0;
    std::uint64_t body_bytes = 0;
    std::string content_type, upgrade;
    bool wrong_media_type = false;
    bool operator==(const outcome&) const = default;
};

struct options {
    bool check = false, upgrade = false, expect = false;
    std::uint64_t body_size = 0;
};

outcome parse(std::string_view input, std::size_t split, const options& o) {
    contract_check check;
    engine::upgrade_headers upgrade;
    engine::response_sink sink;
    sdk::response_expectation expectation;
    if (o.expect) {
        expectation.media_type = "application/json";
        expectation.body_size = o.body_size;
    }
    sink.reset(o.check ? &check : nullptr, o.upgrade ? &upgrade : nullptr, expectation);
    engine::response_reader reader(sink);
    reader.begin();

    // One or two reads, through the function the engine's connection calls for each read.
    outcome result;
    bool ok = true;
    auto feed = [&](std::string_view bytes) {
        const auto read = reader.feed(bytes);
        ok = read.what != engine::read_outcome::kind::malformed;
        // Done: what follows is the engine's business (frames, or "bytes nobody asked for").
        return read.what == engine::read_outcome::kind::need_more;
    };
    if (feed(input.substr(0, split))) feed(input.substr(split));
    if (ok && !reader.done() && reader.needs_eof()) ok = reader.finish_at_eof();  // the peer closes
    result.error = !ok;
    result.done = ok && reader.done();
    result.status = sink.status;
    result.body_bytes = sink.body_bytes;
    result.content_type = std::string(sink.content_type_view());
    result.upgrade = upgrade.upgrade + "|" + upgrade.connection + "|" + upgrade.accept;
    result.wrong_media_type = sink.wrong_media_type;
    if (sink.check && check.begun_ && check.bytes_ != sink.body_bytes) std::abort();  // the check saw other bytes
    if (result.done && sink.check) (void)sink.check->end();
    return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    options o;
    const auto flags = in.ConsumeIntegral<std::uint8_t>();
    o.check = flags & 1;
    o.upgrade = flags & 2;
    o.expect = flags & 4;
    o.body_size = in.ConsumeIntegral<std::uint8_t>();
    const auto cut_at = in.ConsumeIntegral<std::uint16_t>();
    const std::string bytes = in.ConsumeRemainingBytesAsString();
    const std::size_t split = cut_at % (bytes.size() + 1);

    const outcome whole = parse(bytes, bytes.size(), o);
    const outcome cut = parse(bytes, split, o);
    // What the engine acts on is a whole response, so that is what must agree. A parse that is not
    // done may differ in what it has seen so far: Beast judges a start line as soon as 8 bytes of
    // it are there, but once it has asked for more it waits for the header's end before looking
    // again, so one parse may have failed, or read the status, while the other still waits for
    // bytes (or for the peer's close, an error too).
    if (whole.done != cut.done || (whole.done && !(whole == cut))) {  // where a read ends changed the response
        auto show = [](const char* what, const outcome& r) {
            std::fprintf(stderr, "%s: error %d done %d status %u body %llu content-type '%s' upgrade '%s' wrong type %d\n",
                         what, r.error, r.done, r.status, static_cast<unsigned long long>(r.body_bytes),
                         r.content_type.c_str(), r.upgrade.c_str(), r.wrong_media_type);
        };
        show("in one read", whole);
        show("cut", cut);
        std::fprintf(stderr, "cut at %zu of %zu\n", split, bytes.size());
        std::abort();
    }
    return 0;
}
