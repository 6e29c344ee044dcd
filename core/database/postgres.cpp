#include "postgres.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "launcher/http_probe.h"
#include "launcher/local_process.h"
#include "run/interrupt.h"

namespace shootout::core::database {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void apply_sql(const std::string& dsn, const std::string& sql) {
    pqxx::connection c(dsn);
    pqxx::work w(c);
    w.exec(sql);
    w.commit();
}

// The newest PostgreSQL server installed from Debian's packages.
fs::path server_bin_dir() {
    fs::path best;
    int best_version = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const auto bin = entry.path() / "bin";
        if (!fs::exists(bin / "initdb") || !fs::exists(bin / "postgres")) continue;
        const int version = std::atoi(entry.path().filename().c_str());
        if (version > best_version) {
            best_version = version;
            best = bin;
        }
    }
    if (best.empty())
        throw std::runtime_error("PostgreSQL is not installed: install the Debian package 'postgresql' (scripts/setup.sh "
                                 "does), or set [database] mode = \"external\" with a dsn");
    return best;
}

// Each cluster's directory names the shootout that made it, so that a later run can tell a
// directory left by a killed one (SIGKILL, a second Ctrl-C before this code held it back, a
// crash) from one in use.
constexpr const char* owner_file = "shootout.pid";

bool process_exists(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// The pid of the postgres server still running in a cluster directory, or 0.
pid_t server_running_in(const fs::path& dir) {
    std::ifstream in(dir / "data" / "postmaster.pid");
    long pid = 0;
    return in >> pid && process_exists(static_cast<pid_t>(pid)) ? static_cast<pid_t>(pid) : 0;
}

// Removes /tmp/shootout-pg-* directories whose shootout is gone and whose server is not running;
// one whose server still runs is named, for the user to stop (it may be someone's on purpose).
void remove_stale_clusters() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
        const auto name = entry.path().filename().string();
        if (name.rfind("shootout-pg-", 0) != 0 || !entry.is_directory(ec)) continue;
        std::ifstream in(entry.path() / owner_file);
        long owner = 0;
        if (!(in >> owner) || process_exists(static_cast<pid_t>(owner))) continue;  // in use, or not ours to judge
        if (const pid_t server = server_running_in(entry.path())) {
            spdlog::warn("{} was left by an earlier shootout (pid {}, no longer running), but its PostgreSQL "
                         "(pid {}) still runs; stop it (kill {}) and remove the directory",
                         entry.path().string(), owner, server, server);
            continue;
        }
        std::error_code removed;
        fs::remove_all(entry.path(), removed);
        if (removed)
            spdlog::warn("cannot remove {}, left by an earlier shootout: {}", entry.path().string(), removed.message());
        else
            spdlog::info("removed {}, left by an earlier shootout (pid {}) that did not end cleanly", entry.path().string(), owner);
    }
}

class external final : public postgres {
public:
    external(std::string dsn, fs::path init_sql) : postgres(std::move(init_sql)), dsn_(std::move(dsn)) {}
    const std::string& dsn() const override { return dsn_; }

private:
    std::string dsn_;
};

class embedded final : public postgres {
public:
    embedded(const fs::path& init_sql, unsigned max_connections, const std::vector<int>& cpus) : postgres(init_sql) {
        const fs::path bin = server_bin_dir();
        remove_stale_clusters();
        char pattern[] = "/tmp/shootout-pg-XXXXXX";
        if (!::mkdtemp(pattern)) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
        dir_.path = pattern;
        std::ofstream(dir_ / owner_file) << ::getpid() << '\n';
        // PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
        std::vector<std::string> as_user;
        if (::geteuid() == 0) {
            const passwd* pw = ::getpwnam("postgres");
            if (!pw) throw std::runtime_error("running as root, but there is no 'postgres' user to run PostgreSQL as");
            if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
                throw std::runtime_error(fmt::format("cannot give {} to the postgres user: {}", dir_.string(), std::strerror(errno)));
            as_user = {"runuser", "-u", "postgres", "--"};
        }
        auto command = [&](std::vector<std::string> args) {
            std::vector<std::string> full = as_user;
            full.insert(full.end(), args.begin(), args.end());
            return full;
        };
        const auto init = launcher::run_command(
            command({(bin / "initdb").string(), "-D", (dir_ / "data").string(), "-U", "postgres", "-A", "trust", "-E",
                     "UTF8", "--locale=C", "--no-sync"}),
            dir_, 120s);
        if (init.exit_code != 0)
            throw std::runtime_error(fmt::format("initdb failed ({}): {}", init.exit_code, init.output));
        port_ = launcher::free_loopback_port();
        launcher::process_spec spec;
        spec.command = command({(bin / "postgres").string(), "-D", (dir_ / "data").string(), "-p", std::to_string(port_),
                                "-k", dir_.string(), "-c", "listen_addresses=127.0.0.1", "-c",
                                fmt::format("max_connections={}", max_connections), "-c", "fsync=off"});
        spec.working_dir = dir_;
        spec.log_file = dir_ / "server.log";
        spec.cpus = cpus;  // with the servers, off the generator's CPUs
        server_ = std::make_unique<launcher::local_process>(spec);
        const std::string admin = fmt::format("host=127.0.0.1 port={} user=postgres dbname=postgres", port_);
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        for (;;) {
            try {
                pqxx::connection c(admin);
                break;
            } catch (const std::exception& e) {
                if (auto status = server_->exited())
                    throw std::runtime_error(fmt::format("PostgreSQL {}: {}", *status, launcher::tail_of(spec.log_file)));
                if (std::chrono::steady_clock::now() > deadline)
                    throw std::runtime_error(fmt::format("PostgreSQL did not accept connections within 30 s: {}",
                                                         launcher::tail_of(spec.log_file)));
                std::this_thread::sleep_for(50ms);
            }
        }
        {
            pqxx::connection c(admin);
            pqxx::nontransaction n(c);
            n.exec("CREATE ROLE bench LOGIN PASSWORD 'bench'");
            n.exec("CREATE DATABASE bench OWNER bench");
        }
        dsn_ = fmt::format("postgresql://bench:bench@127.0.0.1:{}/bench", port_);
        spdlog::info("embedded PostgreSQL on 127.0.0.1:{} ({})", port_, dir_.string());
    }

    // A Ctrl-C now waits until the server is stopped and its directory removed (at most the
    // stop's 10 s and SIGKILL's wait), then takes effect: it never leaves either behind.
    ~embedded() override {
        const signals_held_back held;
        if (server_) server_->stop(10s);
        server_.reset();
        dir_.remove();
    }

    const std::string& dsn() const override { return dsn_; }

private:
    // Removes the cluster's directory however the constructor or destructor ends; declared
    // before server_, so the server is stopped before its files go.
    struct removed_on_exit {
        fs::path path;
        ~removed_on_exit() { remove(); }
        void remove() {
            std::error_code ec;
            if (!path.empty()) fs::remove_all(path, ec);
            path.clear();
        }
        operator const fs::path&() const { return path; }
        fs::path operator/(const char* name) const { return path / name; }
        std::string string() const { return path.string(); }
        const char* c_str() const { return path.c_str(); }
    } dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<launcher::local_process> server_;
    std::string dsn_;
};

}  // namespace

void postgres::reset() { apply_sql(dsn(), read_file(init_sql_)); }

std::uint64_t postgres::row_count() {
    pqxx::connection c(dsn());
    pqxx::nontransaction n(c);
    return n.exec1("SELECT count(*) FROM items")[0].as<std::uint64_t>();
}

std::unique_ptr<postgres> start_embedded(const fs::path& init_sql, unsigned max_connections, const std::vector<int>& cpus) {
    auto db = std::make_unique<embedded>(init_sql, max_connections, cpus);
    db->reset();
    return db;
}

std::unique_ptr<postgres> connect_external(const std::string& dsn, const fs::path& init_sql) {
    auto db = std::make_unique<external>(dsn, init_sql);
    try {
        db->reset();
    } catch (const pqxx::broken_connection& e) {
        throw std::runtime_error(fmt::format("cannot connect to the database at {}: {}", dsn, e.what()));
    }
    return db;
}

}  // namespace shootout::core::database
