#include "docker_stats.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdlib>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

namespace shootout::core::observe {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using local = asio::local::stream_protocol;

std::uint64_t number_at(const json::object* o, std::string_view key) {
    if (!o) return 0;
    const auto* v = o->if_contains(key);
    if (!v) return 0;
    if (v->is_uint64()) return v->as_uint64();
    if (v->is_int64()) return v->as_int64() > 0 ? static_cast<std::uint64_t>(v->as_int64()) : 0;
    if (v->is_double()) return v->as_double() > 0 ? static_cast<std::uint64_t>(v->as_double()) : 0;
    return 0;
}

const json::object* object_at(const json::object* o, std::string_view key) {
    if (!o) return nullptr;
    const auto* v = o->if_contains(key);
    return v ? v->if_object() : nullptr;
}

std::string docker_message(const std::string& body) {
    boost::system::error_code ec;
    const auto doc = json::parse(body, ec);
    if (!ec && doc.is_object())
        if (const auto* m = doc.as_object().if_contains("message"); m && m->is_string()) return std::string(m->as_string());
    return body.substr(0, 200);
}

// One request on a fresh connection (the engine answers and we close): simple, and at one
// reading a second the connection cost does not matter.
http::response<http::string_body> get(const std::filesystem::path& socket_path, const std::string& target,
                                      const std::string& container) {
    asio::io_context io;
    local::socket socket(io);
    boost::system::error_code ec;
    socket.connect(local::endpoint(socket_path.string()), ec);
    if (ec == boost::system::errc::no_such_file_or_directory)
        throw docker_error(fmt::format("the Docker socket {} does not exist: is the Docker engine running here? (if it "
                                       "listens elsewhere, set DOCKER_HOST=unix:///path/to/docker.sock)",
                                       socket_path.string()));
    if (ec == boost::system::errc::permission_denied)
        throw docker_error(fmt::format("permission denied on the Docker socket {}: add this user to the 'docker' group "
                                       "(or run shootout as root)",
                                       socket_path.string()));
    if (ec)
        throw docker_error(fmt::format("cannot connect to the Docker socket {}: {}; is the Docker engine running?",
                                       socket_path.string(), ec.message()));
    // A stuck engine must not stall the measurement: the socket gives up after 5 s.
    const timeval timeout{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "docker");
    request.set(http::field::user_agent, "shootout");
    request.set(http::field::connection, "close");
    http::write(socket, request, ec);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    if (!ec) http::read(socket, buffer, parser, ec);
    if (ec)
        throw docker_error(fmt::format("the Docker engine at {} did not answer GET {}: {}", socket_path.string(), target,
                                       ec.message()));
    auto response = parser.release();
    if (response.result() == http::status::not_found)
        throw docker_error(fmt::format("no container '{}' on the Docker engine at {} (it says: {}); check `docker ps` "
                                       "and the framework's 'container' key",
                                       container, socket_path.string(), docker_message(response.body())));
    if (response.result() != http::status::ok)
        throw docker_error(fmt::format("the Docker engine at {} answered GET {} with {}: {}", socket_path.string(), target,
                                       response.result_int(), docker_message(response.body())));
    return response;
}

json::value parse_body(const std::string& body, const std::filesystem::path& socket_path, const std::string& what) {
    boost::system::error_code ec;
    auto doc = json::parse(body, ec);
    if (ec || !doc.is_object())
        throw docker_error(fmt::format("the Docker engine at {} sent {} that is not a JSON object", socket_path.string(), what));
    return doc;
}

}  // namespace

std::filesystem::path docker_socket_path() {
    const char* host = std::getenv("DOCKER_HOST");
    if (!host || !*host) return "/var/run/docker.sock";
    const std::string_view text = host;
    if (text.rfind("unix://", 0) == 0) return std::string(text.substr(7));
    throw docker_error(fmt::format("DOCKER_HOST={}: shootout reads container statistics only over a unix socket; unset "
                                   "DOCKER_HOST or set it to unix:///path/to/docker.sock",
                                   text));
}

container_stats parse_container_stats(const json::value& document) {
    container_stats s;
    const auto* root = document.if_object();
    const auto* cpu = object_at(root, "cpu_stats");
    const auto* usage = object_at(cpu, "cpu_usage");
    s.cpu_ns = number_at(usage, "total_usage");
    s.system_ns = number_at(cpu, "system_cpu_usage");
    s.online_cpus = static_cast<unsigned>(number_at(cpu, "online_cpus"));
    if (s.online_cpus == 0 && usage)
        if (const auto* per = usage->if_contains("percpu_usage"); per && per->is_array())
            s.online_cpus = static_cast<unsigned>(per->as_array().size());
    const auto* pre = object_at(root, "precpu_stats");
    s.pre_cpu_ns = number_at(object_at(pre, "cpu_usage"), "total_usage");
    s.pre_system_ns = number_at(pre, "system_cpu_usage");
    const auto* memory = object_at(root, "memory_stats");
    const auto used = number_at(memory, "usage");
    const auto* stats = object_at(memory, "stats");
    s.memory_bytes = used;
    if (stats && stats->contains("total_inactive_file")) {  // cgroup v1
        if (const auto v = number_at(stats, "total_inactive_file"); v < used) s.memory_bytes = used - v;
    } else if (const auto v = number_at(stats, "inactive_file"); v < used) {  // cgroup v2
        s.memory_bytes = used - v;
    }
    return s;
}

double container_cpu_percent(std::uint64_t cpu_before, std::uint64_t system_before, const container_stats& now) {
    if (now.system_ns <= system_before || now.cpu_ns <= cpu_before) return 0;
    const double cpu_delta = static_cast<double>(now.cpu_ns - cpu_before);
    const double system_delta = static_cast<double>(now.system_ns - system_before);
    return cpu_delta / system_delta * std::max(1u, now.online_cpus) * 100.0;
}

container_stats read_container_stats(const std::filesystem::path& socket, const std::string& container) {
    const auto response = get(socket, fmt::format("/containers/{}/stats?stream=false&one-shot=true", container), container);
    return parse_container_stats(parse_body(response.body(), socket, "statistics"));
}

int container_pid(const std::filesystem::path& socket, const std::string& container) {
    const auto response = get(socket, fmt::format("/containers/{}/json", container), container);
    const auto doc = parse_body(response.body(), socket, "a container description");
    const auto pid = number_at(object_at(doc.if_object(), "State"), "Pid");
    if (pid == 0) throw docker_error(fmt::format("container '{}' is not running (State.Pid is 0); start it first", container));
    return static_cast<int>(pid);
}

container_sampler::container_sampler(std::filesystem::path socket, std::string container, std::chrono::milliseconds interval,
                                     std::chrono::steady_clock::time_point origin)
    : socket_(std::move(socket)), container_(std::move(container)), interval_(interval), origin_(origin) {
    try {
        previous_ = read_container_stats(socket_, container_);
    } catch (const docker_error& e) {
        problem_ = e.what();
        return;
    }
    thread_ = std::thread([this] { run(); });
}

container_sampler::~container_sampler() { finish(); }

std::vector<sdk::resource_sample> container_sampler::finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return samples_;
}

void container_sampler::run() {
    auto next = std::chrono::steady_clock::now() + interval_;
    while (!stop_) {
        std::this_thread::sleep_until(std::min(next, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
        const auto now = std::chrono::steady_clock::now();
        if (now < next) continue;
        next += interval_;
        container_stats reading;
        try {
            reading = read_container_stats(socket_, container_);
        } catch (const docker_error& e) {
            problem_ = e.what();  // the container stopped, say: keep what was sampled
            return;
        }
        sdk::resource_sample sample;
        sample.second = std::chrono::duration<double>(now - origin_).count();
        sample.cpu_percent = container_cpu_percent(previous_.cpu_ns, previous_.system_ns, reading);
        sample.rss_bytes = reading.memory_bytes;
        samples_.push_back(sample);
        previous_ = reading;
    }
}

}  // namespace shootout::core::observe
