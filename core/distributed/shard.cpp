#include "distributed/shard.h"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <ctime>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

#include "errors.h"

namespace shootout::core::distributed {
namespace {

std::optional<std::uint32_t> whole(std::string_view text) {
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return n;
}

shard_spec checked(std::uint32_t index, std::uint32_t count, std::string_view where) {
    if (count == 0 || count > max_shards)
        throw config_error(fmt::format("{}: the shard count must be 1 to {}, not {}", where, max_shards, count));
    if (index >= count)
        throw config_error(fmt::format("{}: shard {} of {} does not exist (shards are numbered 0 to {})", where, index,
                                       count, count - 1));
    return {index, count};
}

shard_spec parse_fraction(std::string_view text, std::string_view where) {
    const auto slash = text.find('/');
    const auto index = whole(text.substr(0, slash));
    const auto count = slash == std::string_view::npos ? std::nullopt : whole(text.substr(slash + 1));
    if (!index || !count)
        throw config_error(fmt::format("{} {}: write it as i/N, shard i (from 0) of N, like 2/8", where, text));
    return checked(*index, *count, where);
}

// The index and count variables an MPI launcher, Slurm or Kubernetes sets, in the order read.
struct rank_variables {
    const char *index, *count;
};
constexpr rank_variables launchers[] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                        {"PMI_RANK", "PMI_SIZE"},
                                        {"SLURM_PROCID", "SLURM_NTASKS"},
                                        {"JOB_COMPLETION_INDEX", nullptr}};

std::uint32_t variable_number(const char* name, const char* value) {
    const auto n = whole(value);
    if (!n) throw config_error(fmt::format("--shard auto: {}={} is not a whole number", name, value));
    return *n;
}

shard_spec from_environment(std::optional<std::uint32_t> shard_count, const environment_lookup& getenv) {
    if (const char* given = getenv("SHOOTOUT_SHARD")) return parse_fraction(given, "--shard auto: SHOOTOUT_SHARD");
    for (const auto& v : launchers) {
        const char* index = getenv(v.index);
        if (!index) continue;
        const auto i = variable_number(v.index, index);
        if (!v.count) {
            if (!shard_count)
                throw config_error(fmt::format("--shard auto: {}={} gives the index but not the count; give it with "
                                               "--shard-count N",
                                               v.index, index));
            return checked(i, *shard_count, fmt::format("--shard auto: {}", v.index));
        }
        const char* count = getenv(v.count);
        if (!count) throw config_error(fmt::format("--shard auto: {} is set but {} is not", v.index, v.count));
        const auto n = variable_number(v.count, count);
        if (shard_count && *shard_count != n)
            throw config_error(fmt::format("--shard-count {} disagrees with {}={}", *shard_count, v.count, count));
        return checked(i, n, fmt::format("--shard auto: {}", v.index));
    }
    throw config_error("--shard auto: none of SHOOTOUT_SHARD, OMPI_COMM_WORLD_RANK, PMI_RANK, SLURM_PROCID or "
                       "JOB_COMPLETION_INDEX is set; give the shard as --shard i/N");
}

}  // namespace

shard_spec parse_shard(std::string_view text, std::optional<std::uint32_t> shard_count, const environment_lookup& getenv) {
    if (text == "auto") return from_environment(shard_count, getenv);
    auto shard = parse_fraction(text, "--shard");
    if (shard_count && *shard_count != shard.count)
        throw config_error(fmt::format("--shard-count {} disagrees with --shard {}", *shard_count, text));
    return shard;
}

distributed_plan read_distributed_options(const distributed_options& options, const environment_lookup& getenv) {
    distributed_plan plan;
    if (options.shard) plan.shard = parse_shard(*options.shard, options.shard_count, getenv);
    else if (options.shard_count) throw config_error("--shard-count goes with --shard auto; give --shard too");
    if (options.start_at) {
        plan.start_at = parse_start_at(*options.start_at);
        plan.start_at_text = *options.start_at;
    }
    return plan;
}

std::chrono::system_clock::time_point parse_start_at(std::string_view text) {
    const auto bad = [&] {
        return config_error(fmt::format("--start-at {}: write the instant in UTC as ISO 8601, like 2026-12-02T05:00:00Z "
                                        "or 2026-12-02T05:00:00.250Z",
                                        text));
    };
    // YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z.
    if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
        text[13] != ':' || text[16] != ':')
        throw bad();
    std::tm tm{};
    const auto field = [&](std::size_t at, std::size_t length, int low, int high) {
        const auto n = whole(text.substr(at, length));
        if (!n || static_cast<int>(*n) < low || static_cast<int>(*n) > high) throw bad();
        return static_cast<int>(*n);
    };
    tm.tm_year = field(0, 4, 1970, 9999) - 1900;
    tm.tm_mon = field(5, 2, 1, 12) - 1;
    tm.tm_mday = field(8, 2, 1, 31);
    tm.tm_hour = field(11, 2, 0, 23);
    tm.tm_min = field(14, 2, 0, 59);
    tm.tm_sec = field(17, 2, 0, 59);
    std::int64_t nanos = 0;
    const auto fraction = text.substr(19, text.size() - 20);
    if (!fraction.empty()) {
        if (fraction.front() != '.' || fraction.size() < 2 || fraction.size() > 10) throw bad();
        const auto digits = whole(fraction.substr(1));
        if (!digits) throw bad();
        nanos = *digits;
        for (auto i = fraction.size() - 1; i < 9; ++i) nanos *= 10;
    }
    const std::time_t seconds = ::timegm(&tm);
    if (tm.tm_mday != field(8, 2, 1, 31)) throw bad();  // timegm normalised a day that does not exist (Feb 30)
    return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos)));
}

std::string utc_text(std::chrono::system_clock::time_point t) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ns / 1'000'000'000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1'000'000'000);
}

std::chrono::steady_clock::time_point steady_of(std::chrono::system_clock::time_point t) {
    const auto wall_now = std::chrono::system_clock::now();
    const auto steady_now = std::chrono::steady_clock::now();
    return steady_now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(t - wall_now);
}

void refuse_if_late(std::chrono::steady_clock::time_point start, std::chrono::steady_clock::time_point now,
                    const std::optional<shard_spec>& shard, const std::string& start_text) {
    if (now <= start) return;
    const double late_s = std::chrono::duration<double>(now - start).count();
    throw late_start(fmt::format("{} was ready {:.3f} s after --start-at {}: refusing to start late (its first planned "
                                 "requests are past, and sending them in a burst would load the server unlike the "
                                 "plan); give a later start time",
                                 shard ? fmt::format("shard {}/{}", shard->index, shard->count) : std::string("the run"),
                                 late_s, start_text));
}

std::vector<std::string> source_addresses(const std::optional<std::string>& text, const std::optional<shard_spec>& shard,
                                          const std::string& target_host) {
    boost::system::error_code ec;
    const auto target = boost::asio::ip::make_address(target_host, ec);
    const bool numeric_target = !ec;  // a name is resolved later, by the engine
    const bool loopback = numeric_target && target.is_v4() && target.is_loopback();
    if (!text || *text == "auto") {
        if (!loopback) {
            if (text) throw config_error(fmt::format("--source-address auto: the target {} is not on IPv4 loopback "
                                                     "(127.0.0.0/8); give the addresses to use",
                                                     target_host));
            return {};
        }
        if (!shard && !text) return {};
        const std::uint32_t index = shard ? shard->index : 0;
        if (index + 10 > 250)
            throw config_error(fmt::format("--source-address auto: shard {} has no address of its own in 127.0.0.10 to "
                                           "127.0.0.250; give the addresses to use",
                                           index));
        return {fmt::format("127.0.0.{}", 10 + index)};
    }
    std::vector<std::string> addresses;
    std::string_view rest = *text;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string one(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const auto address = boost::asio::ip::make_address(one, ec);
        if (ec)
            throw config_error(fmt::format("--source-address {}: '{}' is not a numeric IPv4 or IPv6 address", *text, one));
        if (numeric_target && address.is_v4() != target.is_v4())
            throw config_error(fmt::format("--source-address {}: '{}' and the target {} are not of one IP version", *text,
                                           one, target_host));
        addresses.push_back(address.to_string());
    }
    if (addresses.empty()) throw config_error("--source-address: give at least one address, or auto");
    return addresses;
}

std::string plan_sha256(const plan_identity& id) {
    std::string canonical = fmt::format("shootout plan 1\nscenario {}\npattern {}\ntarget {}\nthreads {}\nrequests_per_connection "
                                        "{}\nshards {}\nmodel {}\n",
                                        id.scenario, id.pattern, id.target, id.threads, id.requests_per_connection,
                                        id.shard_count, id.plan->model == sdk::load_model::open ? "open" : "closed");
    for (const auto& p : id.plan->phases)
        canonical += fmt::format("phase {} {} {} {} {} {:.17g} {:.17g}\n", p.name, p.length.count(), p.measured ? 1 : 0,
                                 p.connections_start, p.connections_end, p.rate_start, p.rate_end);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

}  // namespace shootout::core::distributed
