#include "process_tree.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace shootout::core::observe {
namespace {

struct proc_stat {
    pid_t ppid = 0;
    double cpu_seconds = 0;
    std::uint64_t rss_bytes = 0;
};

// /proc/PID/stat: the command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
bool read_stat(pid_t pid, proc_stat& out) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return false;
    const auto close = line.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream fields(line.substr(close + 2));
    std::string state;
    long long ppid = 0, skip = 0;
    unsigned long long utime = 0, stime = 0, rss_pages = 0;
    fields >> state >> ppid;
    for (int i = 0; i < 9; ++i) fields >> skip;  // pgrp .. cmajflt (fields 5-13)
    fields >> utime >> stime;                    // fields 14, 15
    for (int i = 0; i < 8; ++i) fields >> skip;  // cutime .. vsize (fields 16-23)
    fields >> rss_pages;                         // field 24
    if (!fields) return false;
    static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    out.ppid = static_cast<pid_t>(ppid);
    out.cpu_seconds = static_cast<double>(utime + stime) / ticks;
    out.rss_bytes = rss_pages * page;
    return true;
}

}  // namespace

tree_reading read_tree(pid_t root) {
    std::map<pid_t, proc_stat> all;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        proc_stat s;
        if (read_stat(static_cast<pid_t>(std::stol(name)), s)) all[static_cast<pid_t>(std::stol(name))] = s;
    }
    tree_reading reading;
    if (!all.count(root)) return reading;
    std::vector<pid_t> frontier{root};
    while (!frontier.empty()) {
        const pid_t pid = frontier.back();
        frontier.pop_back();
        const auto& s = all[pid];
        reading.cpu_seconds[pid] = s.cpu_seconds;
        reading.rss_bytes += s.rss_bytes;
        for (const auto& [child, cs] : all)
            if (cs.ppid == pid && !reading.cpu_seconds.count(child)) frontier.push_back(child);
    }
    return reading;
}

tree_sampler::tree_sampler(pid_t root, std::chrono::milliseconds interval, std::chrono::steady_clock::time_point origin)
    : root_(root), interval_(interval), origin_(origin), thread_([this] { run(); }) {}

tree_sampler::~tree_sampler() { finish(); }

std::vector<sdk::resource_sample> tree_sampler::finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return samples_;
}

void tree_sampler::run() {
    auto previous = read_tree(root_);
    auto previous_at = std::chrono::steady_clock::now();
    auto next = previous_at + interval_;
    while (!stop_) {
        std::this_thread::sleep_until(std::min(next, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
        const auto now = std::chrono::steady_clock::now();
        if (now < next) continue;
        next += interval_;
        auto reading = read_tree(root_);
        double used = 0;
        for (const auto& [pid, cpu] : reading.cpu_seconds) {
            auto it = previous.cpu_seconds.find(pid);
            used += it == previous.cpu_seconds.end() ? cpu : std::max(0.0, cpu - it->second);
        }
        const double elapsed = std::chrono::duration<double>(now - previous_at).count();
        sdk::resource_sample sample;
        sample.second = std::chrono::duration<double>(now - origin_).count();
        sample.cpu_percent = elapsed > 0 ? 100.0 * used / elapsed : 0;
        sample.rss_bytes = reading.rss_bytes;
        samples_.push_back(sample);
        previous = std::move(reading);
        previous_at = now;
    }
}

}  // namespace shootout::core::observe
