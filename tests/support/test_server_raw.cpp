// The test server's raw answers (test_server_raw.h).
#include "test_server_raw.h"

#include <sstream>

#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

namespace shootout::test {

namespace http = boost::beast::http;

namespace {

std::string serialized(const http::response<http::string_body>& res) {
    std::ostringstream out;
    out << res;
    return out.str();
}

// `res` sent chunked, its framing broken as `fault` says.
std::string badly_chunked(const http::response<http::string_body>& res, chunk_fault fault) {
    std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
                                  res.result_int(), std::string(res.reason()), std::string(res[http::field::content_type]));
    const std::string& body = res.body();
    if (fault == chunk_fault::bad_size) out += fmt::format("zz\r\n{}\r\n0\r\n\r\n", body);
    else out += fmt::format("{:x}\r\n{}0\r\n\r\n", body.size(), body);  // no CRLF after the data
    return out;
}

}  // namespace

std::optional<raw_plan> raw_answer(const faults& f, const http::response<http::string_body>& res) {
    raw_plan plan;
    if (f.endless_headers) {
        plan.first = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n";
        plan.repeat = "X-Endless: " + std::string(1000, 'a') + "\r\n";
    } else if (f.endless_body) {
        plan.first = fmt::format("HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
                                 std::string(res[http::field::content_type]), std::uint64_t{1} << 62);
        plan.repeat = std::string(64 * 1024, 'X');
    } else if (f.bad_chunk != chunk_fault::none) {
        plan.first = badly_chunked(res, f.bad_chunk);
    } else if (f.duplicate_response) {
        plan.first = serialized(res);
        if (f.duplicate_after.count() > 0) {
            plan.second = plan.first;
            plan.second_after = f.duplicate_after;
        } else {
            plan.first += plan.first;  // both in one write
        }
    } else if (f.byte_drip.count() > 0) {
        plan.first = serialized(res);
        plan.drip = f.byte_drip;
    } else {
        return std::nullopt;
    }
    return plan;
}

std::string websocket_frame_announcing(std::uint64_t length) {
    std::string frame(2 + 8 + 16, 'Z');
    frame[0] = '\x82';  // FIN + binary
    frame[1] = '\x7f';  // 127: the 64-bit length follows
    for (int i = 0; i < 8; ++i) frame[2 + i] = static_cast<char>((length >> (56 - 8 * i)) & 0xff);
    return frame;
}

}  // namespace shootout::test
