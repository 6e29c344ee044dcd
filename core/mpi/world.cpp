#include "mpi/world.h"

#include <mpi.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace shootout::core::mpi {
namespace {

using clock_type = std::chrono::steady_clock;

enum tag : int { tag_ping = 1, tag_pong, tag_offsets, tag_size, tag_text };

}  // namespace

world::world(int& argc, char**& argv) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        throw std::runtime_error("MPI does not offer MPI_THREAD_FUNNELED, which the load engine's threads need");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // An error in MPI is returned, not fatal, so that the message can name the step.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

world::~world() { MPI_Finalize(); }

void world::abort(int code, const std::string& reason) const {
    spdlog::error("shard {} of {}: {}", rank_, size_, reason);
    spdlog::default_logger()->flush();
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; if it did, nothing of this rank must go on
}

namespace {

// Waits for `requests` until `deadline`, polling (MPI's own waits have no timeout). Returns
// false on timeout; the caller aborts naming what was missing.
bool wait_all(std::vector<MPI_Request>& requests, clock_type::time_point deadline) {
    for (;;) {
        int done = 0;
        MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE);
        if (done) return true;
        if (clock_type::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

}  // namespace

std::vector<std::int64_t> world::clock_offsets_us(int rounds, std::chrono::seconds limit) {
    std::vector<std::int64_t> offsets(static_cast<std::size_t>(size_), 0);
    const auto deadline = clock_type::now() + limit;
    auto exchange = [&](MPI_Request request, const std::string& step) {
        std::vector<MPI_Request> one{request};
        if (!wait_all(one, deadline)) abort(1, fmt::format("{} did not complete within {} s", step, limit.count()));
    };
    if (rank_ == 0) {
        for (int peer = 1; peer < size_; ++peer) {
            std::int64_t best_rtt = std::numeric_limits<std::int64_t>::max(), best = 0;
            for (int r = 0; r < rounds; ++r) {
                std::int64_t sent = wall_ns(), theirs = 0;
                MPI_Request request;
                MPI_Isend(&sent, 1, MPI_INT64_T, peer, tag_ping, MPI_COMM_WORLD, &request);
                exchange(request, fmt::format("the clock exchange with shard {}", peer));
                MPI_Irecv(&theirs, 1, MPI_INT64_T, peer, tag_pong, MPI_COMM_WORLD, &request);
                exchange(request, fmt::format("the clock exchange with shard {} (no answer)", peer));
                const std::int64_t received = wall_ns();
                if (received - sent < best_rtt) {
                    best_rtt = received - sent;
                    best = theirs - (sent + received) / 2;
                }
            }
            offsets[static_cast<std::size_t>(peer)] = best / 1000;
        }
    } else {
        for (int r = 0; r < rounds; ++r) {
            std::int64_t ping = 0;
            MPI_Request request;
            MPI_Irecv(&ping, 1, MPI_INT64_T, 0, tag_ping, MPI_COMM_WORLD, &request);
            exchange(request, "the clock exchange with shard 0");
            std::int64_t now = wall_ns();
            MPI_Isend(&now, 1, MPI_INT64_T, 0, tag_pong, MPI_COMM_WORLD, &request);
            exchange(request, "the clock exchange with shard 0");
        }
    }
    MPI_Request request;
    MPI_Ibcast(offsets.data(), size_, MPI_INT64_T, 0, MPI_COMM_WORLD, &request);
    exchange(request, "sharing the clock offsets");
    return offsets;
}

bool world::all_ready(bool ready, std::chrono::seconds limit, const std::string& step) {
    int mine = ready ? 1 : 0, all = 0;
    std::vector<MPI_Request> request(1);
    MPI_Iallreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, request.data());
    if (!wait_all(request, clock_type::now() + limit))
        abort(1, fmt::format("{}: not every shard arrived within {} s (one hung or died)", step, limit.count()));
    return all == 1;
}

std::int64_t world::broadcast(std::int64_t value, std::chrono::seconds limit, const std::string& step) {
    std::vector<MPI_Request> request(1);
    MPI_Ibcast(&value, 1, MPI_INT64_T, 0, MPI_COMM_WORLD, request.data());
    if (!wait_all(request, clock_type::now() + limit))
        abort(1, fmt::format("{}: not every shard arrived within {} s (one hung or died)", step, limit.count()));
    return value;
}

std::vector<std::string> world::gather(const std::string& text, std::chrono::seconds limit) {
    const auto deadline = clock_type::now() + limit;
    if (rank_ != 0) {
        // Point to point rather than a gather, so that rank 0 can tell which shard is missing.
        std::uint64_t size = text.size();
        std::vector<MPI_Request> requests(2);
        MPI_Isend(&size, 1, MPI_UINT64_T, 0, tag_size, MPI_COMM_WORLD, &requests[0]);
        MPI_Isend(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, tag_text, MPI_COMM_WORLD, &requests[1]);
        if (!wait_all(requests, deadline)) abort(1, fmt::format("could not hand its result to shard 0 within {} s", limit.count()));
        return {};
    }
    std::vector<std::string> texts(static_cast<std::size_t>(size_));
    texts[0] = text;
    for (int peer = 1; peer < size_; ++peer) {
        std::uint64_t size = 0;
        std::vector<MPI_Request> request(1);
        MPI_Irecv(&size, 1, MPI_UINT64_T, peer, tag_size, MPI_COMM_WORLD, request.data());
        if (!wait_all(request, deadline))
            abort(1, fmt::format("shard {} of {} did not deliver its result within {} s of this shard's end: it hung or "
                                 "died; the run fails",
                                 peer, size_, limit.count()));
        auto& into = texts[static_cast<std::size_t>(peer)];
        into.resize(size);
        MPI_Irecv(into.data(), static_cast<int>(size), MPI_CHAR, peer, tag_text, MPI_COMM_WORLD, request.data());
        if (!wait_all(request, deadline))
            abort(1, fmt::format("shard {} of {} did not finish sending its result within {} s", peer, size_, limit.count()));
    }
    return texts;
}

}  // namespace shootout::core::mpi
