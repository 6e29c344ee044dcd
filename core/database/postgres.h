// The database behind the db-read and db-write scenarios: a throwaway PostgreSQL cluster that
// shootout starts and removes itself (embedded), or one that is already running (external).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace shootout::core::database {

class postgres {
public:
    virtual ~postgres() = default;
    /// The DSN the apps get as DATABASE_URL: "postgresql://bench:bench@127.0.0.1:PORT/bench".
    virtual const std::string& dsn() const = 0;
    /// Puts the `items` table back to its seed rows by running init.sql.
    void reset();
    /// Rows in `items`.
    std::uint64_t row_count();

protected:
    explicit postgres(std::filesystem::path init_sql) : init_sql_(std::move(init_sql)) {}
    std::filesystem::path init_sql_;
};

/// Creates a cluster in a temporary directory on a free port (initdb and postgres run as the
/// `postgres` user when shootout runs as root), creates role and database `bench`, applies
/// init.sql. The server is a child process group of shootout: it is stopped and its directory
/// removed on destruction, and it goes down with shootout if shootout dies.
/// Throws std::runtime_error naming what is missing or what failed, with the server's log.
std::unique_ptr<postgres> start_embedded(const std::filesystem::path& init_sql, unsigned max_connections,
                                         const std::vector<int>& cpus = {});

/// Connects to a running server (docker compose, say) and applies init.sql.
std::unique_ptr<postgres> connect_external(const std::string& dsn, const std::filesystem::path& init_sql);

}  // namespace shootout::core::database
