// A connection's HTTP/1.1 side: the next request from the scenario, its answer read through the
// one feeding function the fuzz target also tests, and the answer judged and counted.
#include "http1_protocol.h"

#include <stdexcept>

#include <fmt/format.h>
#include <shootout/sdk/http.h>

#include "connection.h"
#include "worker.h"

namespace shootout::core::engine {

http1_protocol::http1_protocol(connection& c) : c_(c) {
    worker& w = c.owner();
    const sdk::session_context context{w.target(), w.config().role, w.index(), c.index(), w.seed_for(c.index())};
    session_ = w.scenario().open_http_session(context);
    if (!session_)
        throw std::runtime_error("the scenario opened no HTTP session: an HTTP scenario must override open_http_session()");
}

void http1_protocol::on_connected(clock_type::time_point now) {
    c_.end_connecting();
    c_.ready(now);
}

void http1_protocol::submit(clock_type::time_point now, clock_type::time_point planned) {
    worker& w = c_.owner();
    sdk::wire_request request = session_->next_request();
    if (request.part_count == 0 || request.part_count > request.parts.size()) {
        w.count_error(error_class::write, fmt::format("the scenario's request has {} parts; 1 to {} are allowed",
                                                     request.part_count, request.parts.size()));
        w.stop();  // every request would be the same: nothing to measure
        return;
    }
    if (w.request_kinds() && request.kind >= w.request_kinds()) {
        // Counted under no kind, the kinds would not add up to the totals.
        w.count_error(error_class::write, fmt::format("the scenario's request is of kind {}, but it names {} kinds "
                                                     "(request_labels()): kinds are 0 to {}",
                                                     request.kind, w.request_kinds(), w.request_kinds() - 1));
        w.stop();
        return;
    }
    // The correctness check judges every response whole (and may expect a 404); under load the
    // scenario's expected() head is checked on every response, its body on a sample.
    const bool load = w.config().role == sdk::session_role::load;
    sink_.reset(w.verify_next() ? &session_->check() : nullptr, nullptr,
                load ? session_->expected() : sdk::response_expectation{});
    reader_.begin();
    const std::uint32_t limit = w.requests_per_connection();
    if (limit != 0 && c_.answered_here() + 1 >= limit) request = asking_to_close(request);
    c_.write_request(request, now, planned);
}

// The last request of a connection under a connection mode says `Connection: close`, so that a
// well-behaved server closes its side too; the client closes after the answer regardless. The
// head up to its blank line is copied with the header added into a buffer the connection keeps
// (no allocation once it has grown, and only for a connection's last request); what follows the
// head is sent from the scenario's own parts, uncopied, while they fit in a wire_request.
sdk::wire_request http1_protocol::asking_to_close(const sdk::wire_request& request) {
    static constexpr std::string_view header = "Connection: close\r\n";
    closing_head_.clear();
    for (std::size_t p = 0; p < request.part_count; ++p) {
        const std::size_t searched_from = closing_head_.size() < 3 ? 0 : closing_head_.size() - 3;
        const std::size_t copied_before = closing_head_.size();
        closing_head_.append(request.parts[p]);
        const auto blank = closing_head_.find("\r\n\r\n", searched_from);
        if (blank == std::string::npos) continue;
        const std::size_t head_end = blank + 4;  // in closing_head_
        std::string_view rest = request.parts[p].substr(head_end - copied_before);
        const std::size_t later = request.part_count - p - 1;
        sdk::wire_request closing;
        closing.kind = request.kind;
        if (!rest.empty() && 2 + later > closing.parts.size()) rest = {};  // no part left for it: keep it copied
        else closing_head_.resize(head_end);
        closing_head_.insert(blank + 2, header);
        closing.parts[closing.part_count++] = closing_head_;
        if (!rest.empty()) closing.parts[closing.part_count++] = rest;
        for (std::size_t q = p + 1; q < request.part_count; ++q) closing.parts[closing.part_count++] = request.parts[q];
        return closing;
    }
    return request;  // no end of head found: sent as it is (the client still closes after it)
}

bool http1_protocol::on_bytes(std::string_view bytes, clock_type::time_point now) {
    if (!c_.reading()) {
        c_.fail(error_class::read, "the server sent bytes nobody asked for", true);
        return false;
    }
    const read_outcome read = reader_.feed(bytes);
    if (read.what == read_outcome::kind::malformed) {
        c_.fail(error_class::read, "malformed response: " + read.error.message(), true);
        return false;
    }
    if (read.what == read_outcome::kind::need_more) return true;
    if (!read.after.empty()) {
        c_.fail(error_class::read, "the server sent more bytes than the response holds", true);
        return false;
    }
    complete(now);
    return false;
}

void http1_protocol::on_eof() {
    if (c_.reading() && reader_.needs_eof() && reader_.finish_at_eof()) {
        complete(clock_type::now());
        return;
    }
    c_.fail(error_class::read,
            c_.got_bytes() ? "the server closed the connection in the middle of a response"
                           : "the server closed the connection without answering",
            true);
}

void http1_protocol::complete(clock_type::time_point now) {
    std::optional<sdk::verdict> verdict;
    if (sink_.check) verdict = sink_.check->end();
    const std::string problem = head_problem();  // empty, and so not allocated, when the head is right
    c_.answered(now, sink_.status, verdict ? &*verdict : nullptr, problem.empty() ? nullptr : &problem);
    c_.next(now, reader_.keep_alive());
}

std::string http1_protocol::head_problem() const {
    if (sink_.wrong_media_type)
        return fmt::format("content type {}, expected {} (checked on every response)",
                           sdk::excerpt(sink_.content_type_view()), sink_.expect.media_type);
    if (sink_.expect.body_size && sink_.body_bytes != *sink_.expect.body_size)
        return fmt::format("body of {} bytes, expected {} (checked on every response)", sink_.body_bytes,
                           *sink_.expect.body_size);
    return {};
}

}  // namespace shootout::core::engine
