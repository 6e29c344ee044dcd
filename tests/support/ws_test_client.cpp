#include "ws_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <catch2/catch.hpp>

namespace shootout::test {

namespace http = boost::beast::http;
namespace ws = core::engine::websocket;

blocking_client::blocking_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
}

blocking_client::~blocking_client() { ::close(fd_); }

void blocking_client::send_all(std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        REQUIRE(n > 0);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::size_t blocking_client::receive(char* buffer, std::size_t size) {
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    INFO("recv: " << (n < 0 ? std::strerror(errno) : "ok"));
    REQUIRE(n >= 0);
    return static_cast<std::size_t>(n);
}

upgrade_result upgrade(blocking_client& client, const ws::handshake& h) {
    client.send_all(h.request);
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // the head only: a refusal's body is not ours to read
    std::string received;
    std::array<char, 4096> buffer{};
    std::size_t used = 0;
    for (int reads = 0; reads < 100 && !parser.is_header_done(); ++reads) {
        const std::size_t n = client.receive(buffer.data(), buffer.size());
        REQUIRE(n > 0);
        received.append(buffer.data(), n);
        boost::beast::error_code ec;
        used += parser.put(boost::asio::buffer(received.data() + used, received.size() - used), ec);
        if (ec == http::error::need_more) continue;
        REQUIRE_FALSE(ec);
    }
    REQUIRE(parser.is_header_done());
    const auto& head = parser.get();
    ws::upgrade_response response;
    response.status = head.result_int();
    response.upgrade = head[http::field::upgrade];
    response.connection = head[http::field::connection];
    response.accept = head[http::field::sec_websocket_accept];
    response.extensions = head[http::field::sec_websocket_extensions];
    response.protocol = head[http::field::sec_websocket_protocol];
    return {ws::judge_upgrade(response, h.expected_accept), received.substr(used)};
}

}  // namespace shootout::test
