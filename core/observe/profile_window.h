// Profiling a server while it is measured: which profiler can reach it, and a session that
// records over the measured phases only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "manifest.h"
#include "observe/profiler.h"

namespace shootout::core {

// Runs a profile session over the measured phases only, on a thread of its own that follows the
// load's clock: recording starts when the first measured phase begins and stops when the last
// one ends, or as soon as the load is over (interrupted, say), whichever comes first.
class measured_phase_profiler {
public:
    measured_phase_profiler(observe::profile_plan plan, std::chrono::steady_clock::time_point begin,
                            std::chrono::steady_clock::time_point end)
        : session_(std::move(plan)), thread_([this, begin, end] { run(begin, end); }) {}
    ~measured_phase_profiler() { finish(); }

    /// After the load: stops recording if it still runs and returns what was captured.
    observe::profile_result finish() {
        {
            std::lock_guard lock(mutex_);
            load_over_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
        return std::move(result_);
    }

private:
    void run(std::chrono::steady_clock::time_point begin, std::chrono::steady_clock::time_point end) {
        std::unique_lock lock(mutex_);
        if (wake_.wait_until(lock, begin, [this] { return load_over_; })) {
            result_.warnings.push_back("profile: the load ended before its measured phase began; nothing was recorded");
            return;
        }
        lock.unlock();
        session_.start(end - begin);
        lock.lock();
        wake_.wait_until(lock, end, [this] { return load_over_; });
        lock.unlock();
        result_ = session_.stop();
    }

    observe::profile_session session_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool load_over_ = false;
    observe::profile_result result_;
    std::thread thread_;
};

/// Which profiler can reach this server (a local one's pid, 0 for an external one; the Python
/// sampler's control directory if it was loaded), and how. A profiler that cannot is a warning
/// in the measurement (returned as the error), never a failed measurement.
std::variant<observe::profile_plan, std::string> choose_profiler(const profile_settings& settings,
                                                                 const framework_entry& fw, int server_pid,
                                                                 const std::filesystem::path& sampler_dir);

}  // namespace shootout::core
