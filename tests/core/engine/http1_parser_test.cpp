// The HTTP/1.1 response reader (core/engine/http1_parser.h), fed as the engine feeds it, with
// Boost's assertions on: this file is its own test program, built with BOOST_ENABLE_ASSERT_HANDLER
// (tests/CMakeLists.txt), so a BOOST_ASSERT inside Beast throws here even in a Release build
// instead of being compiled out. (In shootout_tests it would be an ODR violation: the engine's
// copy of the parser is built without the handler.)
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "engine/http1_parser.h"

#ifndef BOOST_ENABLE_ASSERT_HANDLER
#error "this test must see Beast's assertions: build it with BOOST_ENABLE_ASSERT_HANDLER"
#endif

namespace boost {
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
    throw std::logic_error(fmt::format("BOOST_ASSERT({}) failed in {} ({}:{})", expr, function, file, line));
}
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
    throw std::logic_error(fmt::format("BOOST_ASSERT_MSG({}, {}) failed in {} ({}:{})", expr, msg, function, file, line));
}
}  // namespace boost

using namespace shootout;
using namespace shootout::core::engine;
using kind = read_outcome::kind;

namespace {

struct parsed {
    kind last = kind::need_more;
    unsigned status = 0;
    std::uint64_t body_bytes = 0;
    std::string after;
};

// Feeds `reads` one after the other, as a connection feeds its reads, until the response is done
// or malformed.
parsed read_all(const std::vector<std::string>& reads) {
    response_sink sink;
    sink.reset(nullptr);
    response_reader reader(sink);
    reader.begin();
    parsed result;
    for (const auto& bytes : reads) {
        const auto outcome = reader.feed(bytes);
        result.last = outcome.what;
        if (outcome.what != kind::need_more) {
            result.after = std::string(outcome.after);
            break;
        }
    }
    result.status = sink.status;
    result.body_bytes = sink.body_bytes;
    return result;
}

std::vector<std::string> bytes_of(const std::string& s) {
    std::vector<std::string> reads;
    for (char c : s) reads.emplace_back(1, c);
    return reads;
}

}  // namespace

TEST_CASE("http1 reader: the fuzzer's Beast chunk-header input, fed in two reads and an empty one, trips no assertion") {
    // fuzz/corpus/http1_response/regression-beast-chunk-header-assert, decoded: the fuzzer cut it
    // after the reason phrase and then fed the empty rest, so Beast saw the last chunk's size line
    // twice with 3 bytes. Beast 1.81 asserts `n >= 5` there (basic_parser.ipp:702).
    const std::string head = "HTTP/1.1 200 Om";
    const std::string rest = "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
    const auto r = read_all({head, rest, ""});
    CHECK(r.last == kind::need_more);  // the trailer's end has not come: still waiting, not done
    CHECK(r.status == 200);
}

TEST_CASE("http1 reader: a chunked response dribbled one byte at a time completes, with its body") {
    const std::string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x=y\r\n!\r\n0\r\n\r\n";
    const auto r = read_all(bytes_of(response));
    CHECK(r.last == kind::done);
    CHECK(r.status == 200);
    CHECK(r.body_bytes == 6);
    CHECK(r.after.empty());
    // The shortest chunked body, and one with a trailer field, byte by byte too.
    CHECK(read_all(bytes_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).last == kind::done);
    CHECK(read_all(bytes_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\r\n")).last == kind::done);
}

TEST_CASE("http1 reader: an interim response is skipped and bytes after the response are handed back") {
    const auto r = read_all({"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"});
    CHECK(r.last == kind::done);
    CHECK(r.status == 200);
    CHECK(r.body_bytes == 2);
    CHECK(r.after == "EXTRA");
    const auto split = read_all({"HTTP/1.1 200 OK\r\nContent-Le", "ngth: 2\r\n\r\nokHTTP/1.1"});
    CHECK(split.last == kind::done);
    CHECK(split.after == "HTTP/1.1");
}

TEST_CASE("http1 reader: bad chunk framing is malformed, never done") {
    CHECK(read_all({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"}).last == kind::malformed);
    CHECK(read_all({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"}).last == kind::malformed);
    CHECK(read_all(bytes_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n")).last == kind::malformed);
}

TEST_CASE("http1 reader: every fuzz corpus input parses byte by byte as in one read, with no assertion") {
    const std::filesystem::path corpus = std::filesystem::path(SHOOTOUT_SOURCE_DIR) / "fuzz/corpus/http1_response";
    std::size_t inputs = 0;
    for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        INFO(entry.path().filename().string());
        const auto whole = read_all({bytes});
        const auto dribbled = read_all(bytes_of(bytes));
        CHECK((whole.last == kind::done) == (dribbled.last == kind::done));
        if (whole.last == kind::done && dribbled.last == kind::done) {
            CHECK(whole.status == dribbled.status);
            CHECK(whole.body_bytes == dribbled.body_bytes);
        }
        ++inputs;
    }
    CHECK(inputs > 100);
}
