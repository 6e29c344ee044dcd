// A framework under test made ready for measurement: started and healthy if it is local (its
// process group stopped again when it goes), nothing to do if it is external.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "database/postgres.h"
#include "launcher/local_process.h"
#include "manifest.h"

namespace shootout::core {

std::string join_command(const std::vector<std::string>& command);

/// Why a local framework cannot run here, from its check_command (nullopt: it can, or it has no
/// check). Run once per framework before any load, so the run knows from the start what it will
/// skip: the log says so at once, and the progress line's estimate leaves it out.
std::optional<std::string> installation_problem(const framework_entry& fw);

// A framework made ready for measurement: started and healthy if it is local, nothing to do
// if it is external. Stops the server (the whole process group) when it goes out of scope.
class running_framework {
public:
    /// `sampler_dir`: where this framework's Python sampler is controlled ([profile] names it), or empty.
    /// `not_installed`: what installation_problem() found, if anything.
    running_framework(const framework_entry& fw, const manifest& m, const database::postgres* db,
                      const std::filesystem::path& log_dir, const std::filesystem::path& sampler_dir,
                      const std::optional<std::string>& not_installed);
    ~running_framework() { stop(); }

    const std::optional<std::string>& unavailable() const { return unavailable_; }
    const std::string& version() const { return version_; }
    const std::vector<int>& cpus() const { return cpus_; }
    int pid() const { return process_ ? process_->pid() : 0; }
    const std::filesystem::path& sampler_dir() const { return sampler_dir_; }

    /// Set once the server has exited on its own (it crashed, or was killed).
    std::optional<std::string> died() {
        if (!process_) return std::nullopt;
        if (auto status = process_->exited())
            return fmt::format("the {} server {} during the run; the end of {}:\n{}", fw_.name, *status, log_.string(),
                               launcher::tail_of(log_, 6));
        return std::nullopt;
    }

    void stop() {
        if (!process_) return;
        const auto how = process_->stop(fw_.local->stop_timeout);
        spdlog::info("{}: {}", fw_.name, how);
        process_.reset();
    }

private:
    const framework_entry& fw_;
    std::unique_ptr<launcher::local_process> process_;
    std::optional<std::string> unavailable_;
    std::string version_;
    std::vector<int> cpus_;
    std::filesystem::path log_;
    std::filesystem::path sampler_dir_;
};

}  // namespace shootout::core
