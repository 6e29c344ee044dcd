#include "fake_docker_engine.h"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace shootout::test {

namespace http = boost::beast::http;
using local = boost::asio::local::stream_protocol;

fake_docker_engine::fake_docker_engine(const std::filesystem::path& socket, std::string container,
                                       std::uint64_t cpu_ns_per_request, std::uint64_t system_ns_per_request,
                                       unsigned online_cpus, std::uint64_t usage, std::uint64_t inactive_file)
    : container_(std::move(container)),
      cpu_step_(cpu_ns_per_request),
      system_step_(system_ns_per_request),
      usage_(usage),
      inactive_(inactive_file),
      cpus_(online_cpus),
      socket_(socket),
      acceptor_(io_, local::endpoint(socket.string())),
      thread_([this] { serve(); }) {}

fake_docker_engine::~fake_docker_engine() {
    // A blocking accept() is not woken by close(): a last connection wakes it.
    stop_ = true;
    boost::system::error_code ec;
    local::socket wake(io_);
    wake.connect(local::endpoint(socket_.string()), ec);
    if (thread_.joinable()) thread_.join();
}

void fake_docker_engine::serve() {
    for (unsigned served = 0; served < 10'000; ++served) {
        local::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stop_) return;
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::read(socket, buffer, request, ec);
        if (ec) continue;
        const std::string target(request.target());
        const std::string prefix = "/containers/" + container_ + "/";
        http::response<http::string_body> response;
        response.version(11);
        response.set(http::field::content_type, "application/json");
        if (target.rfind(prefix + "stats", 0) == 0) {
            const std::uint64_t n = ++requests_;
            // The documented shape of the stats response (fields shootout does not read left out).
            boost::json::object stats{
                {"read", "2026-01-01T00:00:01Z"},
                {"cpu_stats",
                 {{"cpu_usage", {{"total_usage", 1'000'000'000 + n * cpu_step_}, {"usage_in_kernelmode", 0}}},
                  {"system_cpu_usage", 900'000'000'000 + n * system_step_},
                  {"online_cpus", cpus_}}},
                {"precpu_stats",
                 {{"cpu_usage", {{"total_usage", 1'000'000'000 + (n - 1) * cpu_step_}}},
                  {"system_cpu_usage", 900'000'000'000 + (n - 1) * system_step_},
                  {"online_cpus", cpus_}}},
                {"memory_stats",
                 {{"usage", usage_}, {"limit", 536'870'912}, {"stats", {{"inactive_file", inactive_}, {"anon", usage_ - inactive_}}}}}};
            response.result(http::status::ok);
            response.body() = boost::json::serialize(stats);
        } else if (target == prefix + "json") {
            response.result(http::status::ok);
            response.body() = R"({"Id":"abc","State":{"Running":true,"Pid":4242}})";
        } else {
            const auto name = target.substr(12, target.find('/', 12) - 12);
            response.result(http::status::not_found);
            response.body() = R"({"message":"No such container: )" + name + R"("})";
        }
        response.prepare_payload();
        http::write(socket, response, ec);
    }
}

}  // namespace shootout::test
