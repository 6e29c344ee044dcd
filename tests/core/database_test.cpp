// The embedded PostgreSQL: a throwaway cluster that starts, seeds, resets, counts and goes away.
#include <unistd.h>

#include <fstream>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "database/postgres.h"

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
