// A connection's life and its HTTP/1.1 side: connect, send a request with one send (or
// sendmsg), read and parse its response, time it out, close. Its socket is registered once with
// the worker's edge-triggered epoll set: no per-request re-registration, no speculative read.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <boost/beast/http/error.hpp>
#include <fmt/format.h>
#include <shootout/sdk/http.h>

#include "connection.h"
#include "worker.h"

namespace shootout::core::engine {


connection::connection(worker& owner, std::uint32_t slot, std::uint64_t index)
    : w_(owner), slot_(slot), index_(index) {
    websocket_ = owner.websocket();
    if (websocket_) wsock_ = std::make_unique<websocket_state>(owner.seed_for(index) ^ 0x5bd1e995ULL);
    if (!websocket_) {
        const sdk::session_context context{owner.target(), owner.config().role, owner.index(), index,
                                           owner.seed_for(index)};
        session_ = owner.scenario().open_http_session(context);
        if (!session_)
            throw std::runtime_error("the scenario opened no HTTP session: an HTTP scenario must override "
                                     "open_http_session()");
    }
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
    if (!websocket_) end_connecting();
    state_ = state::idle;
    w_.on_open();
    w_.record_connect(now - connect_started_);
    if (websocket_) begin_upgrade(now);
    else ready(now);
}

void connection::ready(clock_type::time_point now) {
    if (retiring_ || !w_.sending()) {
        close();
        return;
    }
    if (w_.open_model()) w_.on_idle(this, now);
    else send(now, now);
}

void connection::send_planned(clock_type::time_point planned, clock_type::time_point now) { send(now, planned); }

void connection::send(clock_type::time_point now, clock_type::time_point planned) {
    if (websocket_) {
        send_message(now, planned);
        return;
    }
    request_ = session_->next_request();
    if (request_.part_count == 0 || request_.part_count > request_.parts.size()) {
        w_.count_error(error_class::write, fmt::format("the scenario's request has {} parts; 1 to {} are allowed",
                                                      request_.part_count, request_.parts.size()));
        w_.stop();  // every request would be the same: nothing to measure
        return;
    }
    part_ = offset_ = 0;
    received_ = 0;
    sent_at_ = now;
    planned_at_ = planned;
    got_bytes_ = readable_pending_ = false;
    // The correctness check judges every response whole (and may expect a 404); under load the
    // scenario's expected() head is checked on every response, its body on a sample.
    const bool load = w_.config().role == sdk::session_role::load;
    sink_.reset(w_.verify_next() ? &session_->check() : nullptr, nullptr,
                load ? session_->expected() : sdk::response_expectation{});
    reader_.begin();
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
    if (pong_pending_) {
        pong_pending_ = false;
        send_control(wsock_->pong);
        if (state_ != state::reading) return;
    }
    if (readable_pending_) on_readable();
}

void connection::on_readable() {
    if (websocket_ && !upgrading_) {
        on_ws_readable();
        return;
    }
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
            if (state_ != state::reading) {
                fail(error_class::read, "the server sent bytes nobody asked for", true);
                return;
            }
            if (!feed(buffer, static_cast<std::size_t>(n))) return;
            if (reader_.done()) {
                complete(now);
                return;
            }
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
            if (state_ == state::reading && reader_.needs_eof() && reader_.finish_at_eof()) {
                complete(clock_type::now());
                return;
            }
            fail(error_class::read,
                 got_bytes_ ? "the server closed the connection in the middle of a response"
                            : "the server closed the connection without answering",
                 true);
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        fail(error_class::read, std::string("read: ") + std::strerror(errno), true);
        return;
    }
}

// The one feeding function shared with the fuzz target (response_reader, http1_parser.h).
bool connection::feed(const char* data, std::size_t size) {
    const read_outcome read = reader_.feed({data, size});
    if (read.what == read_outcome::kind::malformed) {
        fail(error_class::read, "malformed response: " + read.error.message(), true);
        return false;
    }
    if (read.what == read_outcome::kind::done && !read.after.empty()) {
        if (upgrading_) {  // the first frames, right behind the 101
            wsock_->after_upgrade.assign(read.after);
        } else {
            fail(error_class::read, "the server sent more bytes than the response holds", true);
            return false;
        }
    }
    return true;
}

void connection::complete(clock_type::time_point now) {
    if (upgrading_) {
        finish_upgrade(now);
        return;
    }
    std::optional<sdk::verdict> verdict;
    if (sink_.check) verdict = sink_.check->end();
    const bool keep_alive = reader_.keep_alive();
    state_ = state::idle;
    const std::string problem = head_problem();  // empty, and so not allocated, when the head is right
    w_.record_response(now, planned_at_, sent_at_, first_byte_at_, sink_.status, verdict ? &*verdict : nullptr,
                       problem.empty() ? nullptr : &problem, request_.size(), received_);
    if (retiring_ || !w_.sending()) {
        close();
        return;
    }
    if (!keep_alive || peer_closed_) {  // the server closes this connection: take a new one
        close();
        start();
        return;
    }
    ready(now);
}

std::string connection::head_problem() const {
    if (sink_.wrong_media_type)
        return fmt::format("content type {}, expected {} (checked on every response)",
                           sdk::excerpt(sink_.content_type_view()), sink_.expect.media_type);
    if (sink_.expect.body_size && sink_.body_bytes != *sink_.expect.body_size)
        return fmt::format("body of {} bytes, expected {} (checked on every response)", sink_.body_bytes,
                           *sink_.expect.body_size);
    return {};
}

void connection::fail(error_class cls, std::string reason, bool reconnect) {
    close();  // first, so a stop that the count triggers does not see this request as in flight
    w_.count_error(cls, std::move(reason));
    // Reconnect at once after a broken connection; after a failed connect, wait for the next tick
    // so a refusing server is not hammered in a tight loop.
    if (reconnect && active_ && w_.sending()) {
        if (feeding_) restart_after_feed_ = true;  // once the decoder has returned
        else start();
    }
}

void connection::retire() {
    retiring_ = true;
    set_active(false);
    if (state_ != state::writing && state_ != state::reading) close();
}

void connection::close() {
    end_connecting();
    if (websocket_ && !upgrading_ && fd_ >= 0 && (state_ == state::idle || state_ == state::reading)) {
        // Say goodbye the WebSocket way (status 1000), so the server sees a normal close and not
        // a dropped connection. Best effort: never waits, and between messages only.
        const auto goodbye = wsock_->encoder.encode_close();
        [[maybe_unused]] const auto n = ::send(fd_, goodbye.bytes.data(), goodbye.size, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    if (connected()) w_.on_closed();
    if (fd_ >= 0) {
        ::close(fd_);  // also leaves the epoll set
        fd_ = -1;
    }
    ++generation_;
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
