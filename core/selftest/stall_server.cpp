#include "stall_server.h"

#include <atomic>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace shootout::core::selftest {
// Named, not anonymous: stall_server::impl (external linkage) holds a `window`, which GCC refuses
// (-Wsubobject-linkage) once this file is not the main file of its translation unit (unity builds).
namespace stall_server_detail {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr std::string_view pong = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\npong";
constexpr std::string_view not_found = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

struct window {
    std::atomic<steady::rep> from{0}, length{0};
    // When a response ready at `now` may go: at once, or at the end of the stall.
    steady::time_point release(steady::time_point now) const {
        const steady::time_point start{steady::duration(from.load(std::memory_order_relaxed))};
        const steady::duration len(length.load(std::memory_order_relaxed));
        if (len.count() > 0 && now >= start && now < start + len) return start + len;
        return now;
    }
};

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, const window& stall, std::atomic<std::uint64_t>& answered)
        : socket_(std::move(socket)), timer_(socket_.get_executor()), stall_(stall), answered_(answered) {}

    void read() {
        request_ = {};
        http::async_read(socket_, buffer_, request_, [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
            if (!ec) self->answer();
        });
    }

private:
    void answer() {
        const auto now = steady::now();
        const auto at = stall_.release(now);
        if (at > now) {
            timer_.expires_at(at);
            timer_.async_wait([self = shared_from_this()](boost::beast::error_code) { self->write(); });
        } else {
            write();
        }
    }

    void write() {
        const auto& reply = request_.target() == "/ping" ? pong : not_found;
        asio::async_write(socket_, asio::buffer(reply.data(), reply.size()),
                          [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                              if (ec) return;
                              self->answered_.fetch_add(1, std::memory_order_relaxed);
                              if (self->request_.keep_alive()) self->read();
                          });
    }

    tcp::socket socket_;
    asio::steady_timer timer_;
    boost::beast::flat_buffer buffer_;
    http::request<http::empty_body> request_;
    const window& stall_;
    std::atomic<std::uint64_t>& answered_;
};

}  // namespace stall_server_detail
using namespace stall_server_detail;

struct stall_server::impl {
    asio::io_context io{1};
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    window stall;
    std::atomic<std::uint64_t> answered{0};
    std::thread thread;

    void accept() {
        acceptor.async_accept([this](boost::beast::error_code ec, tcp::socket socket) {
            if (ec) return;
            socket.set_option(tcp::no_delay(true));
            std::make_shared<session>(std::move(socket), stall, answered)->read();
            accept();
        });
    }
};

stall_server::stall_server() : impl_(std::make_unique<impl>()) {
    impl_->acceptor.listen(4096);
    impl_->accept();
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

stall_server::~stall_server() {
    impl_->io.stop();
    impl_->thread.join();
}

std::uint16_t stall_server::port() const { return impl_->acceptor.local_endpoint().port(); }

void stall_server::stall(steady::time_point from, steady::duration length) {
    impl_->stall.from.store(from.time_since_epoch().count());
    impl_->stall.length.store(length.count());
}

std::uint64_t stall_server::answered() const { return impl_->answered.load(); }

}  // namespace shootout::core::selftest
