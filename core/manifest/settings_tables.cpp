// [engine], [database] and [local]: settings shared by every measurement.
#include <climits>

#include "manifest/tables.h"

namespace shootout::core::tables {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> engine_keys = {"threads", "connect_timeout", "request_timeout", "verify_sample",
                                              "seed",    "cpus",            "sample_interval", "keep_alive"};
const std::vector<std::string> database_keys = {"mode", "init_sql", "dsn", "max_connections", "reset_before",
                                                "count_writes"};
const std::vector<std::string> local_default_keys = {"environment", "cpus"};

}  // namespace

std::optional<std::uint32_t> read_keep_alive(checker& c, const toml::node& node, const std::string& ctx) {
    if (auto b = node.value_exact<bool>()) return *b ? 0 : 1;
    if (auto n = node.value_exact<std::int64_t>(); n && *n >= 1 && *n <= UINT32_MAX) return static_cast<std::uint32_t>(*n);
    const auto n = node.value_exact<std::int64_t>();
    c.error(node, fmt::format("{}'keep_alive' must be true (keep connections alive), false (a new connection per "
                              "request) or a number of requests per connection from 1 to {}, found {}",
                              ctx, UINT32_MAX, n ? std::to_string(*n) : type_of(node)));
    return std::nullopt;
}

void read_engine(checker& c, const toml::table& root, engine_settings& engine) {
    auto* table = c.typed<toml::table>(root, "engine", "", "a table");
    if (!table) return;
    const std::string ctx = "engine: ";
    c.known_keys(*table, engine_keys, ctx);
    if (auto v = c.integer(*table, "threads", 0, 1024, ctx)) engine.threads = static_cast<unsigned>(*v);
    for (const char* key : {"connect_timeout", "request_timeout"})
        if (auto v = c.duration(*table, key, ctx)) {
            if (*v < std::chrono::milliseconds(1)) {
                c.error(*table->get(key), fmt::format("{}'{}' must be at least 1ms; every request would time out", ctx, key));
                continue;
            }
            (std::string_view(key) == "connect_timeout" ? engine.connect_timeout : engine.request_timeout) = *v;
        }
    if (auto v = c.integer(*table, "verify_sample", 1, 1'000'000'000, ctx)) engine.verify_sample = static_cast<std::uint32_t>(*v);
    if (auto v = c.integer(*table, "seed", 0, INT64_MAX, ctx)) engine.seed = static_cast<std::uint64_t>(*v);
    if (auto v = c.cpus(*table, "cpus", ctx)) engine.cpus = *v;
    if (const toml::node* node = table->get("keep_alive"))
        if (auto v = read_keep_alive(c, *node, ctx)) engine.requests_per_connection = *v;
    if (auto v = c.duration(*table, "sample_interval", ctx)) {
        if (*v < std::chrono::milliseconds(10)) c.error(*table->get("sample_interval"), ctx + "'sample_interval' must be at least 10ms");
        else engine.sample_interval = *v;
    }
}

void read_database(checker& c, const toml::table& root, manifest& m, scenario_name_lists& named_scenarios) {
    auto* table = c.typed<toml::table>(root, "database", "", "a table");
    if (!table) return;
    const std::string ctx = "database: ";
    auto& db = m.database;
    c.known_keys(*table, database_keys, ctx);
    const auto mode = c.string(*table, "mode", ctx).value_or("none");
    if (mode == "embedded") db.mode = database_settings::kind::embedded;
    else if (mode == "external") db.mode = database_settings::kind::external;
    else if (mode == "none") db.mode = database_settings::kind::none;
    else c.error(*table->get("mode"), fmt::format("{}'mode' must be \"embedded\", \"external\" or \"none\", found \"{}\"", ctx, mode));
    if (auto sql = c.string(*table, "init_sql", ctx)) {
        db.init_sql = m.dir / *sql;
        std::error_code ec;
        if (!fs::is_regular_file(db.init_sql, ec))
            c.error(*table->get("init_sql"), fmt::format("{}'init_sql' \"{}\" is not a file ({})", ctx, *sql, db.init_sql.string()));
    } else if (db.mode != database_settings::kind::none) {
        c.error(*table, ctx + "missing key 'init_sql' (the schema and seed rows, like \"apps/shared/init.sql\")");
    }
    if (auto dsn = c.string(*table, "dsn", ctx)) db.dsn = *dsn;
    else if (db.mode == database_settings::kind::external)
        c.error(*table, ctx + "mode is \"external\" but there is no 'dsn' (like \"postgresql://bench:bench@127.0.0.1:5432/bench\")");
    if (auto n = c.integer(*table, "max_connections", 10, 10000, ctx)) db.max_connections = static_cast<unsigned>(*n);
    if (auto list = c.strings(*table, "reset_before", ctx)) {
        db.reset_before.clear();
        for (auto& [name, where] : *list) db.reset_before.push_back(name);
        named_scenarios.emplace_back("reset_before", std::move(*list));
    }
    if (auto list = c.strings(*table, "count_writes", ctx)) {
        db.count_writes.clear();
        for (auto& [name, where] : *list) db.count_writes.push_back(name);
        named_scenarios.emplace_back("count_writes", std::move(*list));
    }
}

void check_scenario_names(checker& c, const manifest& m, const scenario_name_lists& lists) {
    std::vector<std::string> known;
    for (const auto& e : m.scenarios) known.push_back(e.name);
    for (const auto& [key, names] : lists)
        for (const auto& [name, where] : names)
            if (std::find(known.begin(), known.end(), name) == known.end())
                c.error(where, fmt::format("database: '{}' names scenario '{}', which 'scenarios' does not list (it lists: "
                                           "{}){}",
                                           key, name, joined(known), did_you_mean(name, known)));
}

void refuse_port_variable(checker& c, const toml::table& table, const std::map<std::string, std::string>& environment,
                          const std::string& ctx) {
    if (environment.count("PORT"))
        c.error(*table.get("environment"), ctx + "'environment' sets PORT, which shootout sets from each framework's "
                                                 "url; remove it, and change the port in the url instead");
}

void read_local_defaults(checker& c, const toml::table& root, manifest& m) {
    auto* table = c.typed<toml::table>(root, "local", "", "a table");
    if (!table) return;
    c.known_keys(*table, local_default_keys, "local: ");
    m.local.environment = c.string_table(*table, "environment", "local: ");
    refuse_port_variable(c, *table, m.local.environment, "local: ");
    if (auto v = c.cpus(*table, "cpus", "local: ")) m.local.cpus = *v;
}

}  // namespace shootout::core::tables
