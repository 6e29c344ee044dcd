// The embedded PostgreSQL: a throwaway cluster that starts, seeds, resets, counts and goes away.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "database/postgres.h"
#include "run/interrupt.h"

using namespace shootout;

TEST_CASE("database: an embedded cluster is seeded, reset and removed", "[database]") {
    const std::filesystem::path sql = std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/sql/items.sql";
    std::string dsn;
    {
        auto db = core::database::start_embedded(sql, 50);
        dsn = db->dsn();
        CHECK(dsn.rfind("postgresql://bench:bench@127.0.0.1:", 0) == 0);
        CHECK(db->row_count() == 3);
        {
            pqxx::connection c(dsn);
            pqxx::work w(c);
            w.exec("INSERT INTO items (name, price) VALUES ('extra-1', 1), ('extra-2', 2)");
            w.commit();
        }
        CHECK(db->row_count() == 5);
        db->reset();
        CHECK(db->row_count() == 3);
        pqxx::connection c(dsn);
        pqxx::nontransaction n(c);
        CHECK(n.exec1("SELECT name FROM items WHERE id = 2")[0].as<std::string>() == "item-2");
    }
    // Gone with the object: nothing answers on its port any more.
    CHECK_THROWS_AS(pqxx::connection(dsn), pqxx::broken_connection);
}

TEST_CASE("database: an embedded cluster runs on the CPUs it is given, not the generator's", "[database]") {
    // The runner gives it the servers' CPUs; here the last CPU, as on a 2-core machine CPU 1.
    const int last = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)) - 1;
    const std::filesystem::path sql = std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/sql/items.sql";
    auto db = core::database::start_embedded(sql, 50, {last});
    pqxx::connection c(db->dsn());
    pqxx::nontransaction n(c);
    const auto backend = n.exec1("SELECT pg_backend_pid()")[0].as<int>();
    std::ifstream status("/proc/" + std::to_string(backend) + "/status");
    std::string line, allowed;
    while (std::getline(status, line))
        if (line.rfind("Cpus_allowed_list:", 0) == 0) allowed = line.substr(line.find_first_not_of(" \t", 18));
    CHECK(allowed == std::to_string(last));
}

TEST_CASE("database: an external server that is not there is named in the error", "[database]") {
    const std::filesystem::path sql = std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/sql/items.sql";
    try {
        core::database::connect_external("postgresql://bench:bench@127.0.0.1:1/bench", sql);
        FAIL("expected an error");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).rfind("cannot connect to the database at postgresql://bench:bench@127.0.0.1:1/bench: ", 0) == 0);
    }
}

namespace {

bool running(pid_t pid) {
    // A zombie is gone for this purpose; its parent has not reaped it yet.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto close = line.rfind(')');
    return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

}  // namespace

TEST_CASE("database: a cluster directory left by a killed shootout is removed at the next start", "[database]") {
    // A pid that is no longer anyone's: a child that has exited and been reaped.
    const pid_t gone = ::fork();
    if (gone == 0) ::_exit(0);
    ::waitpid(gone, nullptr, 0);
    char pattern[] = "/tmp/shootout-pg-XXXXXX";
    REQUIRE(::mkdtemp(pattern));
    const std::filesystem::path stale = pattern;
    std::ofstream(stale / "shootout.pid") << gone << '\n';
    std::filesystem::create_directories(stale / "data");
    // One whose shootout still runs (this process) is someone's cluster in use: left alone.
    char in_use_pattern[] = "/tmp/shootout-pg-XXXXXX";
    REQUIRE(::mkdtemp(in_use_pattern));
    const std::filesystem::path in_use = in_use_pattern;
    std::ofstream(in_use / "shootout.pid") << ::getpid() << '\n';

    const std::filesystem::path sql = std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/sql/items.sql";
    { auto db = core::database::start_embedded(sql, 20); }
    CHECK_FALSE(std::filesystem::exists(stale));
    CHECK(std::filesystem::exists(in_use));
    std::error_code ec;
    std::filesystem::remove_all(stale, ec);
    std::filesystem::remove_all(in_use, ec);
}

TEST_CASE("database: Ctrl-C again while the cluster shuts down leaves neither the server nor its directory", "[database]") {
    // In a child process, since the second Ctrl-C ends it: the first one (the run is stopping),
    // then one every few milliseconds while the cluster is being stopped.
    int report[2];
    REQUIRE(::pipe(report) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(report[0]);
        try {
            const core::interrupt_scope interrupts;
            const std::filesystem::path sql = std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/sql/items.sql";
            auto db = core::database::start_embedded(sql, 20);
            std::string dir;
            for (const auto& e : std::filesystem::directory_iterator("/tmp")) {
                std::ifstream pidfile(e.path() / "shootout.pid");
                long owner = 0;
                if (e.path().filename().string().rfind("shootout-pg-", 0) == 0 && pidfile >> owner && owner == ::getpid())
                    dir = e.path().string();
            }
            std::ifstream postmaster(dir + "/data/postmaster.pid");
            long server = 0;
            postmaster >> server;
            const std::string line = dir + " " + std::to_string(server) + "\n";
            if (::write(report[1], line.data(), line.size()) < 0) ::_exit(3);
            ::raise(SIGINT);  // the first: the run stops; the next one would end the process
            std::atomic<bool> done{false};
            std::thread presser([&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                for (int i = 0; i < 2000 && !done; ++i) {
                    ::kill(::getpid(), SIGINT);
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                }
            });
            db.reset();  // ends the process (SIGINT) once the cluster is gone
            done = true;
            presser.join();
        } catch (...) {
            ::_exit(3);
        }
        ::_exit(4);
    }
    ::close(report[1]);
    std::string line;
    char buffer[512];
    for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) > 0;) line.append(buffer, static_cast<std::size_t>(n));
    ::close(report[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    INFO(line);
    CHECK(WIFSIGNALED(status));  // the second Ctrl-C did end it, after the cleanup
    const auto space = line.find(' ');
    REQUIRE(space != std::string::npos);
    const std::filesystem::path dir = line.substr(0, space);
    const pid_t server = static_cast<pid_t>(std::stol(line.substr(space + 1)));
    CHECK_FALSE(std::filesystem::exists(dir));
    CHECK(server > 0);
    CHECK_FALSE(running(server));
}
