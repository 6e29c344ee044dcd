// The floor of any WebSocket echo client on this machine, for bench/ws-echo-vs-python.sh.
//
// It does what every echo client must do and nothing more: per message one send of a
// pre-built masked frame and one recv of the echo, woken by epoll. No timing, no histogram, no
// message generation: the echo is only compared with the expected frame, so a garbage reply
// cannot count. What it spends per message is the kernel's part of an echo round trip (the TCP
// send, loopback delivery, the receive), which no client running on the same machine can avoid.
// shootout's ws-echo is compared against it to show how much of its cost is its own.
//
// Usage: shootout_ws_floor_client PORT CONNECTIONS SECONDS MESSAGE_BYTES   (path /ws-echo)
// Prints {"messages": N} on stdout; exits 1 with the reason on stderr.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "shootout_ws_floor_client: %s\n", what.c_str());
    std::exit(1);
}

[[noreturn]] void fail_errno(const std::string& what) { fail(what + ": " + std::strerror(errno)); }

// A blocking connect and WebSocket upgrade; the measured loop is non-blocking.
int open_websocket(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail_errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        fail_errno("connect to 127.0.0.1:" + std::to_string(port));
    int on = 1;  // as shootout's engine: a small frame must not wait for Nagle
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::string upgrade = "GET /ws-echo HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (write(fd, upgrade.data(), upgrade.size()) != static_cast<ssize_t>(upgrade.size())) fail_errno("send upgrade");
    std::string answer;
    char buffer[1024];
    // Byte by byte, so no frame byte after the headers is swallowed (the server sends none before
    // the first message, but the floor must not depend on that).
    while (answer.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(fd, buffer, 1);
        if (n <= 0) fail("the server closed the connection during the upgrade");
        answer.append(buffer, 1);
        if (answer.size() > 8192) fail("upgrade answer without an end of headers");
    }
    if (answer.compare(0, 12, "HTTP/1.1 101") != 0)
        fail("upgrade refused: " + answer.substr(0, answer.find("\r\n")));
    return fd;
}

struct connection {
    int fd;
    std::size_t received = 0;  // bytes of the current echo so far
    std::vector<char> echo;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) fail("usage: shootout_ws_floor_client PORT CONNECTIONS SECONDS MESSAGE_BYTES");
    const int port = std::atoi(argv[1]);
    const int connections = std::atoi(argv[2]);
    const double seconds = std::atof(argv[3]);
    const std::size_t size = std::strtoull(argv[4], nullptr, 10);
    if (port <= 0 || connections <= 0 || seconds <= 0 || size == 0 || size > 125)
        fail("PORT, CONNECTIONS and SECONDS must be positive, MESSAGE_BYTES 1 to 125");

    // A text frame, masked as a client must; the server answers it unmasked.
    const std::string payload(size, 'x');
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    std::string request_frame = {static_cast<char>(0x81), static_cast<char>(0x80 | size)};
    request_frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < size; ++i) request_frame += static_cast<char>(payload[i] ^ mask[i % 4]);
    const std::string expected_echo = std::string{static_cast<char>(0x81), static_cast<char>(size)} + payload;

    int epoll = epoll_create1(0);
    if (epoll < 0) fail_errno("epoll_create1");
    std::vector<connection> pool(connections);
    for (int i = 0; i < connections; ++i) {
        pool[i].fd = open_websocket(port);
        pool[i].echo.resize(expected_echo.size());
    }
    for (int i = 0; i < connections; ++i) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u32 = static_cast<std::uint32_t>(i);
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, pool[i].fd, &event) != 0) fail_errno("epoll_ctl");
        if (send(pool[i].fd, request_frame.data(), request_frame.size(), 0) != static_cast<ssize_t>(request_frame.size()))
            fail_errno("send");
    }

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    long long messages = 0;
    epoll_event events[256];
    while (std::chrono::steady_clock::now() < deadline) {
        int ready = epoll_wait(epoll, events, 256, 100);
        if (ready < 0 && errno != EINTR) fail_errno("epoll_wait");
        for (int k = 0; k < ready; ++k) {
            connection& c = pool[events[k].data.u32];
            ssize_t n = recv(c.fd, c.echo.data() + c.received, c.echo.size() - c.received, 0);
            if (n == 0) fail("the server closed a connection");
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                fail_errno("recv");
            }
            c.received += static_cast<std::size_t>(n);
            if (c.received < c.echo.size()) continue;
            if (std::string_view(c.echo.data(), c.echo.size()) != expected_echo)
                fail("a reply is not the echo of the message sent");
            c.received = 0;
            ++messages;
            if (send(c.fd, request_frame.data(), request_frame.size(), 0) != static_cast<ssize_t>(request_frame.size()))
                fail_errno("send");
        }
    }
    std::printf("{\"messages\": %lld}\n", messages);
    return 0;
}
