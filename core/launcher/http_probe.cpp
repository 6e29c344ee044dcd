#include "http_probe.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace shootout::core::launcher {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::uint16_t free_loopback_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    return acceptor.local_endpoint().port();
}

bool port_taken(const std::string& host, std::uint16_t port) {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return false;  // the health check names a host that does not resolve
    // A short deadline: a filtered address or a full backlog must not hold the start for minutes.
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(500));
    bool connected = false;
    stream.async_connect(endpoints, [&](beast::error_code e, const asio::ip::tcp::endpoint&) { connected = !e; });
    io.run();
    return connected;
}

probe_result http_get(const std::string& host, std::uint16_t port, const std::string& target,
                      std::chrono::nanoseconds timeout) {
    probe_result result;
    asio::io_context io;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) {
        result.error = "cannot use host '" + host + "': " + ec.message();
        return result;
    }
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, host + ":" + std::to_string(port));
    request.set(http::field::user_agent, "shootout-launcher");
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    stream.async_connect(asio::ip::tcp::endpoint(address, port), [&](beast::error_code e) {
        if (e) {
            result.error = e == beast::error::timeout ? "timed out" : e.message();
            return;
        }
        http::async_write(stream, request, [&](beast::error_code e2, std::size_t) {
            if (e2) {
                result.error = e2 == beast::error::timeout ? "timed out" : e2.message();
                return;
            }
            http::async_read(stream, buffer, response, [&](beast::error_code e3, std::size_t) {
                if (e3) result.error = e3 == beast::error::timeout ? "timed out" : e3.message();
                else result.status = response.result_int();
            });
        });
    });
    io.run();
    return result;
}

}  // namespace shootout::core::launcher
