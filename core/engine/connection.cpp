// A connection's life: connect, write a request with one send (or sendmsg), read, time out,
// close. Its socket is registered once with the worker's edge-triggered epoll set: no
// per-request re-registration, no speculative read. What the bytes mean is its protocol's.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "connection.h"
#include "http1_protocol.h"
#include "websocket_client.h"
#include "worker.h"

namespace shootout::core::engine {

connection::connection(worker& owner, std::uint32_t slot, std::uint64_t index)
    : w_(owner), slot_(slot), index_(index) {
    if (owner.websocket()) protocol_ = std::make_unique<websocket_client>(*this);
    else protocol_ = std::make_unique<http1_protocol>(*this);
    set_active(true);
}

void connection::set_active(bool active) {
    if (active == active_) return;
    active_ = active;
    if (active) ++w_.active_connections;
    else --w_.active_connections;
}

void connection::start() {
    if (!w_.sending() || state_ != state::closed) return;
    const auto& endpoint = w_.endpoint();
    fd_ = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        fail(error_class::connect, std::string("socket: ") + std::strerror(errno), false);
        return;
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!bind_source()) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = (std::uint64_t{slot_} << 32) | generation_;
    if (::epoll_ctl(w_.epoll_fd(), EPOLL_CTL_ADD, fd_, &ev) != 0) {
        fail(error_class::connect, std::string("epoll_ctl: ") + std::strerror(errno), false);
        return;
    }
    state_ = state::connecting;
    ++w_.connecting;
    counted_connecting_ = true;
    connect_started_ = clock_type::now();
    if (::connect(fd_, endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0) {
        on_connected();
    } else if (errno != EINPROGRESS) {
        fail(error_class::connect, std::string("connect: ") + std::strerror(errno), false);
    }
    // else: writable (or an error) is reported through epoll
}

// --source-address: the local address is chosen before connecting, its port at connect
// (IP_BIND_ADDRESS_NO_PORT), so each address has its own 64k ports towards one target.
bool connection::bind_source() {
    const auto& sources = w_.sources();
    if (sources.empty()) return true;
    const auto& source = sources[index_ % sources.size()];
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (::bind(fd_, source.data(), static_cast<socklen_t>(source.size())) == 0) return true;
    fail(error_class::connect, fmt::format("bind to {}: {}", source.address().to_string(), std::strerror(errno)), false);
    return false;
}

void connection::on_event(std::uint32_t events, std::uint32_t generation) {
    if (generation != generation_ || state_ == state::closed) return;  // an event of a socket since closed
    if (state_ == state::connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
        if (error != 0) {
            fail(error_class::connect, std::string("connect: ") + std::strerror(error), false);
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        on_connected();
        // The same edge may already carry an answer or the FIN: handle it below, not never.
        if (generation != generation_ || state_ == state::closed) return;
    }
    // With edge triggering, data and the FIN can arrive as one edge: remember the FIN, or a
    // short read that drains the data would leave the end of the stream unnoticed.
    if (events & (EPOLLRDHUP | EPOLLHUP)) peer_closed_ = true;
    if ((events & EPOLLOUT) && state_ == state::writing) write_some();
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (state_ == state::reading || state_ == state::idle) on_readable();
        else if (state_ == state::writing) readable_pending_ = true;  // an early answer: read it once sent
    }
}

// The open model grows its pool by the connections not yet able to carry a request: a WebSocket
// connection counts as connecting until its upgrade is answered, or every dispatch during a
// handshake would open yet another connection.
void connection::end_connecting() {
    if (!counted_connecting_) return;
    counted_connecting_ = false;
    --w_.connecting;
}

void connection::on_connected() {
    const auto now = clock_type::now();
    state_ = state::idle;
    w_.on_open();
    w_.record_connect(now - connect_started_);
    protocol_->on_connected(now);
}

bool connection::winding_down() const { return retiring_ || !w_.sending(); }

void connection::ready(clock_type::time_point now) {
    if (winding_down()) {
        close();
        return;
    }
    if (w_.open_model()) w_.on_idle(this, now);
    // The plan is over but nothing has stopped the load yet (the next answer or tick will): a
    // connection whose connect or reconnect completes now would send a request outside the
    // measured time, loading the server uncounted.
    else if (w_.plan_over(now)) mark_idle();
    else protocol_->submit(now, now);
}

void connection::write_request(const sdk::wire_request& request, clock_type::time_point now,
                               clock_type::time_point planned) {
    request_ = request;
    part_ = offset_ = 0;
    received_ = 0;
    sent_at_ = now;
    planned_at_ = planned;
    got_bytes_ = readable_pending_ = false;
    state_ = state::writing;
    write_some();
}

void connection::write_some() {
    while (part_ < request_.part_count) {
        iovec iov[4];
        int count = 0;
        for (std::size_t p = part_; p < request_.part_count; ++p) {
            const auto& part = request_.parts[p];
            const std::size_t skip = p == part_ ? offset_ : 0;
            iov[count].iov_base = const_cast<char*>(part.data() + skip);
            iov[count].iov_len = part.size() - skip;
            ++count;
        }
        ssize_t n;
        if (count == 1) {
            n = ::send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);  // cheaper than sendmsg
        } else {
            msghdr msg{};
            msg.msg_iov = iov;
            msg.msg_iovlen = static_cast<std::size_t>(count);
            n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // the send buffer is full: epoll says when it drains
            fail(error_class::write, std::string("write: ") + std::strerror(errno), true);
            return;
        }
        std::size_t left = static_cast<std::size_t>(n);
        while (left > 0 && part_ < request_.part_count) {
            const std::size_t room = request_.parts[part_].size() - offset_;
            if (left >= room) {
                left -= room;
                ++part_;
                offset_ = 0;
            } else {
                offset_ += left;
                left = 0;
            }
        }
        while (part_ < request_.part_count && request_.parts[part_].size() == offset_) {
            ++part_;
            offset_ = 0;
        }
    }
    state_ = state::reading;
    protocol_->on_written();
    if (state_ != state::reading) return;
    if (readable_pending_) on_readable();
}

void connection::on_readable() {
    char* buffer = w_.read_buffer();
    for (;;) {
        const ssize_t n = ::recv(fd_, buffer, read_buffer_size, 0);
        if (n > 0) {
            const auto now = clock_type::now();
            received_ += static_cast<std::uint64_t>(n);
            if (!got_bytes_) {
                got_bytes_ = true;
                first_byte_at_ = now;
            }
            if (!protocol_->on_bytes({buffer, static_cast<std::size_t>(n)}, now)) return;
            // Drained: epoll reports more. Unless the peer has closed: then read on to the end.
            if (static_cast<std::size_t>(n) < read_buffer_size && !peer_closed_) return;
            continue;
        }
        if (n == 0) {
            if (state_ == state::idle) {  // the server closed a connection with nothing in flight
                close();
                start();
                return;
            }
            protocol_->on_eof();
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        fail(error_class::read, std::string("read: ") + std::strerror(errno), true);
        return;
    }
}

void connection::answered(clock_type::time_point now, unsigned status, const sdk::verdict* verdict,
                          const std::string* problem) {
    state_ = state::idle;
    ++answered_here_;
    w_.record_response(now, planned_at_, sent_at_, first_byte_at_, status, verdict, problem, request_.size(), received_,
                       request_.kind);
}

void connection::next(clock_type::time_point now, bool reuse) {
    if (winding_down()) {
        close();
        return;
    }
    // The server closes this connection, or the connection mode has the client close it after
    // this many requests (whatever the server said): take a new one. Neither is an error.
    const std::uint32_t limit = w_.requests_per_connection();
    if (!reuse || peer_closed_ || (limit != 0 && answered_here_ >= limit)) {
        close();
        start();
        return;
    }
    ready(now);
}

void connection::fail(error_class cls, std::string reason, bool reconnect) {
    const std::uint32_t kind = in_flight() ? request_.kind : no_request_kind;
    close();  // first, so a stop that the count triggers does not see this request as in flight
    w_.count_error(cls, std::move(reason), kind);
    // Reconnect at once after a broken connection; after a failed connect, wait for the next tick
    // so a refusing server is not hammered in a tight loop.
    if (reconnect && active_ && w_.sending()) {
        if (restarts_held_) restart_pending_ = true;
        else start();
    }
}

void connection::release_restarts() {
    restarts_held_ = false;
    if (!restart_pending_) return;
    restart_pending_ = false;
    if (active_ && w_.sending()) start();
}

ssize_t connection::send_once(std::string_view bytes, int flags) {
    ssize_t n;
    do n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | flags);
    while (n < 0 && errno == EINTR);
    return n;
}

void connection::retire() {
    retiring_ = true;
    set_active(false);
    if (state_ != state::writing && state_ != state::reading) close();
}

void connection::close() {
    end_connecting();
    if (fd_ >= 0 && (state_ == state::idle || state_ == state::reading)) protocol_->on_closing();
    if (connected()) w_.on_closed();
    if (fd_ >= 0) {
        ::close(fd_);  // also leaves the epoll set
        fd_ = -1;
    }
    ++generation_;
    answered_here_ = 0;
    peer_closed_ = false;
    state_ = state::closed;
    if (retiring_) set_active(false);
}

void connection::check_timeout(clock_type::time_point now) {
    if (state_ == state::connecting && now - connect_started_ > w_.config().connect_timeout) {
        fail(error_class::connect, "connect: timed out", false);
    } else if ((state_ == state::writing || state_ == state::reading) && now - sent_at_ > w_.config().request_timeout) {
        fail(error_class::timeout,
             fmt::format("no complete response within {} ms",
                         std::chrono::duration_cast<std::chrono::milliseconds>(w_.config().request_timeout).count()),
             true);
    } else if (state_ == state::closed && active_ && !refused_ && w_.sending()) {
        start();  // a connection that failed to connect tries again, once per tick
    }
}

}  // namespace shootout::core::engine
