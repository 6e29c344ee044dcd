#include "manifest.h"

#include <climits>
#include <cstdio>
#include <cstdlib>

#include <algorithm>
#include <fstream>
#include <set>
#include <variant>
#include <sstream>

#include <unistd.h>

#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <toml++/toml.h>

#include "bounded_read.h"
#include "errors.h"
#include "names.h"
#include "option_parsing.h"
#include "printable.h"

namespace shootout::core {
namespace {

namespace fs = std::filesystem;

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::string joined(const std::vector<std::string>& items) { return fmt::format("{}", fmt::join(items, ", ")); }

std::string type_of(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        default: return "a date or time";
    }
}

// A manifest is a short text; anything much larger is a wrong path (--config /dev/zero).
constexpr std::uintmax_t manifest_size_limit = 4 * 1024 * 1024;

std::string read_manifest_text(const fs::path& file) {
    try {
        return read_bounded(file, manifest_size_limit);
    } catch (const file_read_error& e) {
        throw config_error(fmt::format("{}: error: {} {}; check the path given to --config", file.string(),
                                       e.too_large() ? "the manifest is too large:" : "cannot read the manifest:", e.detail()));
    }
}

// Text that goes into an HTTP request (a path, a header) must not end the line it is on: CR or
// LF would split the request (request smuggling), NUL cuts it short.
bool breaks_lines(std::string_view text) { return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

// Collects every problem of one manifest, each at its place.
class checker {
public:
    explicit checker(std::string file) : file_(std::move(file)) {}

    manifest_location at(const toml::node& node) const { return at(node.source()); }
    manifest_location at(const toml::source_region& region) const {
        return {file_, region.begin.line, region.begin.column};
    }
    void error(const manifest_location& where, const std::string& message) {
        diagnostics_.push_back(fmt::format("{}: error: {}", where.str(), message));
    }
    void error(const toml::node& node, const std::string& message) { error(at(node), message); }

    // Reports keys of `table` that are not in `known`.
    void known_keys(const toml::table& table, const std::vector<std::string>& known, const std::string& context) {
        for (const auto& [key, value] : table) {
            const std::string k(key.str());
            if (std::find(known.begin(), known.end(), k) != known.end()) continue;
            error(at(key.source()), fmt::format("{}unknown key '{}' (known: {}){}", context, k, joined(known),
                                                did_you_mean(k, known)));
        }
    }

    template <typename T>
    auto typed(const toml::table& table, std::string_view key, const std::string& context, const char* expected) {
        const toml::node* node = table.get(key);
        using result = decltype(node->as<T>());
        if (!node) return result{};
        if (auto* v = node->as<T>()) return v;
        error(*node, fmt::format("{}'{}' must be {}, found {}", context, key, expected, type_of(*node)));
        return result{};
    }

    std::optional<std::string> string(const toml::table& t, std::string_view key, const std::string& context = {}) {
        if (auto* v = typed<std::string>(t, key, context, "a string")) return v->get();
        return std::nullopt;
    }
    std::optional<bool> boolean(const toml::table& t, std::string_view key, const std::string& context = {}) {
        if (auto* v = typed<bool>(t, key, context, "a boolean (true or false)")) return v->get();
        return std::nullopt;
    }
    std::optional<std::int64_t> integer(const toml::table& t, std::string_view key, std::int64_t min,
                                        std::int64_t max, const std::string& context = {}) {
        auto* v = typed<std::int64_t>(t, key, context, "an integer");
        if (!v) return std::nullopt;
        if (v->get() < min || v->get() > max) {
            error(*v, fmt::format("{}'{}' must be between {} and {}, found {}", context, key, min, max, v->get()));
            return std::nullopt;
        }
        return v->get();
    }
    std::optional<std::vector<std::pair<std::string, manifest_location>>> strings(const toml::table& t,
                                                                                 std::string_view key,
                                                                                 const std::string& context = {}) {
        auto* array = typed<toml::array>(t, key, context, "an array of strings");
        if (!array) return std::nullopt;
        std::vector<std::pair<std::string, manifest_location>> items;
        for (const auto& element : *array) {
            if (auto* s = element.as_string()) {
                items.emplace_back(s->get(), at(element));
            } else {
                error(element, fmt::format("{}'{}' must be an array of strings, found {} in it", context, key,
                                           type_of(element)));
                return std::nullopt;
            }
        }
        return items;
    }
    std::optional<std::chrono::nanoseconds> duration(const toml::table& t, std::string_view key,
                                                     const std::string& context = {}) {
        const toml::node* node = t.get(key);
        if (!node) return std::nullopt;
        std::string problem;
        auto value = convert(sdk::option_type::duration, *node, problem);
        if (!value) {
            error(*node, fmt::format("{}'{}' must be {}, {}", context, key, describe(sdk::option_type::duration),
                                     problem));
            return std::nullopt;
        }
        return std::get<std::chrono::nanoseconds>(*value);
    }

    std::optional<std::vector<int>> cpus(const toml::table& t, std::string_view key, const std::string& context = {}) {
        auto* array = typed<toml::array>(t, key, context, "an array of CPU numbers");
        if (!array) return std::nullopt;
        std::vector<int> result;
        const long online = ::sysconf(_SC_NPROCESSORS_CONF);
        for (const auto& element : *array) {
            auto* n = element.as_integer();
            if (!n || n->get() < 0 || n->get() >= online) {
                error(element, fmt::format("{}'{}' must list CPU numbers from 0 to {}, found {}", context, key,
                                           online - 1, n ? std::to_string(n->get()) : type_of(element)));
                return std::nullopt;
            }
            result.push_back(static_cast<int>(n->get()));
        }
        return result;
    }

    std::map<std::string, std::string> string_table(const toml::table& t, std::string_view key, const std::string& context) {
        std::map<std::string, std::string> result;
        if (auto* env = typed<toml::table>(t, key, context, "a table of strings")) {
            for (const auto& [k, value] : *env) {
                // execve takes "KEY=value" strings that end at NUL: '=' in a key would move the
                // split, NUL would cut the variable short.
                if (k.str().empty() || k.str().find_first_of(std::string_view("=\0", 2)) != std::string_view::npos) {
                    error(at(k.source()), fmt::format("{}{}: variable name '{}' must be non-empty, without '=' or NUL",
                                                      context, key, printable(k.str())));
                    continue;
                }
                if (auto s = value.value<std::string>(); s && s->find('\0') != std::string::npos) {
                    error(value, fmt::format("{}{} '{}' holds a NUL, which cannot be passed to a program; remove it",
                                             context, key, k.str()));
                    continue;
                }
                if (auto s = value.value<std::string>()) result[std::string(k.str())] = *s;
                else if (auto i = value.as_integer()) result[std::string(k.str())] = std::to_string(i->get());
                else error(value, fmt::format("{}{} '{}' must be a string, found {}", context, key, k.str(), type_of(value)));
            }
        }
        return result;
    }

    const std::vector<std::string>& diagnostics() const { return diagnostics_; }
    const std::string& file() const { return file_; }

private:
    std::string file_;
    std::vector<std::string> diagnostics_;
};

const std::vector<std::string> top_level_keys = {"output_dir", "runs",     "interleave", "plugin_paths", "scenarios",
                                                 "patterns",   "reporters", "framework", "scenario",     "pattern",
                                                 "reporter",   "engine",    "database",  "local",
                                                 "profile"};
const std::vector<std::string> framework_keys = {"name", "mode", "url", "websocket", "local", "container"};
const std::vector<std::string> profile_keys = {"targets", "profiler", "frequency"};
const std::vector<std::string> local_keys = {"command",         "working_dir",   "environment", "health_path",
                                             "start_timeout",   "stop_timeout",  "check_command", "missing_hint",
                                             "version_command", "cpus"};
const std::vector<std::string> engine_keys = {"threads", "connect_timeout", "request_timeout", "verify_sample",
                                              "seed",    "cpus",            "sample_interval", "keep_alive"};

// keep_alive = true (keep-alive), false (a new connection per request) or N (N requests per connection).
void read_keep_alive(checker& c, const toml::table& table, engine_settings& engine, const std::string& ctx) {
    const toml::node* node = table.get("keep_alive");
    if (!node) return;
    if (auto b = node->value_exact<bool>()) {
        engine.requests_per_connection = *b ? 0 : 1;
    } else if (auto n = node->value_exact<std::int64_t>(); n && *n >= 1 && *n <= UINT32_MAX) {
        engine.requests_per_connection = static_cast<std::uint32_t>(*n);
    } else {
        c.error(*node, fmt::format("{}'keep_alive' must be true (keep connections alive), false (a new connection per "
                                   "request) or a number of requests per connection from 1 to {}, found {}",
                                   ctx, UINT32_MAX, n ? std::to_string(*n) : type_of(*node)));
    }
}
const std::vector<std::string> database_keys = {"mode", "init_sql", "dsn", "max_connections", "reset_before",
                                                "count_writes"};
const std::vector<std::string> local_default_keys = {"environment", "cpus"};

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
    read_keep_alive(c, *table, engine, ctx);
    if (auto v = c.duration(*table, "sample_interval", ctx)) {
        if (*v < std::chrono::milliseconds(10)) c.error(*table->get("sample_interval"), ctx + "'sample_interval' must be at least 10ms");
        else engine.sample_interval = *v;
    }
}

using scenario_name_lists =
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, manifest_location>>>>;

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

// [database] names scenarios; a misspelt one would silently turn a check off.
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

// shootout sets PORT from the framework's url and probes that port: an environment that set
// it too would start the server on one port and measure another.
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

}  // namespace

std::string set_target_url(framework_entry& fw, const std::string& text) {
    // parse_uri, not parse_absolute_uri: a fragment is then named as such, not "leftover".
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed)
        return fmt::format("is not an absolute URL: \"{}\" ({}); write it like \"http://127.0.0.1:8081\"", text,
                           parsed.error().message());
    const auto& u = *parsed;
    const std::string scheme(u.scheme());
    if (scheme != "http")
        return scheme.size() == 4 && std::equal(scheme.begin(), scheme.end(), "http",
                                                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })
                   ? fmt::format("\"{}\": write the scheme '{}' in lower case, as http://", text, scheme)
                   : fmt::format("scheme '{}' is not supported; use http:// (WebSocket scenarios derive ws:// from it)", scheme);
    if (u.host().empty()) return fmt::format("\"{}\" has no host", text);
    // A target is scheme, host, port and a path prefix: nothing else would reach the server as meant.
    if (u.has_fragment())
        return fmt::format("\"{}\" has a fragment ('#{}'), which is never sent to a server; remove it", text,
                           std::string(u.encoded_fragment()));
    if (u.has_query())
        return fmt::format("\"{}\" has a query ('?{}'); give scheme, host, port and an optional path prefix only "
                           "(each scenario sets its own path and query)",
                           text, std::string(u.encoded_query()));
    if (u.has_userinfo())
        return fmt::format("\"{}\" has user info ('{}@'); shootout sends no credentials: remove it", text,
                           std::string(u.encoded_userinfo()));
    std::uint16_t port = 80;
    if (u.has_port()) {
        // Boost.URL keeps only the low 16 bits of a longer number: 99767 would quietly be 34231.
        const std::string digits(u.port());
        if (digits.empty()) return fmt::format("\"{}\" has a ':' after the host but no port number; use 1 to 65535", text);
        if (digits.size() > 5 || std::stoul(digits) == 0 || std::stoul(digits) > 65535)
            return fmt::format("\"{}\" has port '{}'; use 1 to 65535", text, digits);
        port = static_cast<std::uint16_t>(std::stoul(digits));
    }
    if (!u.encoded_path().empty() && u.encoded_path().front() != '/')
        return fmt::format("\"{}\": what follows the host is not a port or a path", text);
    fw.host = std::string(u.encoded_host());
    fw.port = port;
    fw.path_prefix = std::string(u.encoded_path());
    while (!fw.path_prefix.empty() && fw.path_prefix.back() == '/') fw.path_prefix.pop_back();
    fw.url = fmt::format("http://{}:{}{}", fw.host, fw.port, fw.path_prefix);
    return {};
}

namespace {

void read_url(checker& c, const toml::node& node, framework_entry& fw, const std::string& ctx) {
    if (auto problem = set_target_url(fw, node.value<std::string>().value_or("")); !problem.empty())
        c.error(node, fmt::format("{}'url' {}", ctx, problem));
}

// A program as execvp finds it: with a '/', from the working directory; without, in PATH.
bool program_found(const std::string& program, const fs::path& working_dir) {
    if (program.find('/') != std::string::npos) {
        const fs::path path = fs::path(program).is_absolute() ? fs::path(program) : working_dir / program;
        return ::access(path.c_str(), X_OK) == 0;
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t at = 0; at <= dirs.size();) {
        const auto colon = std::min(dirs.find(':', at), dirs.size());
        const fs::path dir(dirs.substr(at, colon - at));
        if (::access((dir.empty() ? fs::path(".") / program : dir / program).c_str(), X_OK) == 0) return true;
        at = colon + 1;
    }
    return false;
}

// What would make a local framework fail at start is a manifest error, not a silent skip later.
void check_runnable(checker& c, const toml::table& table, const local_launch& launch, const std::string& lctx) {
    std::error_code ec;
    if (!fs::is_directory(launch.working_dir, ec)) {
        const toml::node* node = table.get("working_dir");
        c.error(node ? c.at(*node) : c.at(table),
                fmt::format("{}'working_dir' {} is not a directory; give an existing directory, relative to the manifest",
                            lctx, launch.working_dir.string()));
        return;
    }
    if (launch.command.empty() || program_found(launch.command.front(), launch.working_dir)) return;
    c.error(*table.get("command"),
            fmt::format("{}'command': cannot find the program '{}' ({}); give a path relative to working_dir ({}) or a "
                        "program in PATH",
                        lctx, launch.command.front(),
                        launch.command.front().find('/') != std::string::npos ? "no such executable file" : "not in PATH",
                        launch.working_dir.string()));
}

void read_local(checker& c, const toml::table& table, framework_entry& fw, const std::string& ctx,
                const fs::path& manifest_dir) {
    local_launch launch;
    const std::string lctx = ctx + "local: ";
    c.known_keys(table, local_keys, lctx);
    if (auto command = c.strings(table, "command", lctx)) {
        for (auto& [arg, where] : *command) launch.command.push_back(arg);
        if (launch.command.empty()) c.error(table, lctx + "'command' is empty; give the program and its arguments");
    } else if (!table.get("command")) {
        c.error(table, lctx + "missing key 'command' (the program and its arguments, as an array of strings)");
    }
    if (auto dir = c.string(table, "working_dir", lctx)) launch.working_dir = manifest_dir / *dir;
    else launch.working_dir = manifest_dir;
    check_runnable(c, table, launch, lctx);
    launch.environment = c.string_table(table, "environment", lctx);
    refuse_port_variable(c, table, launch.environment, lctx);
    if (auto check = c.strings(table, "check_command", lctx))
        for (auto& [arg, where] : *check) launch.check_command.push_back(arg);
    if (auto hint = c.string(table, "missing_hint", lctx)) launch.missing_hint = *hint;
    if (auto version = c.strings(table, "version_command", lctx))
        for (auto& [arg, where] : *version) launch.version_command.push_back(arg);
    if (auto cpus = c.cpus(table, "cpus", lctx)) launch.cpus = *cpus;
    if (auto path = c.string(table, "health_path", lctx)) {
        if (path->empty() || path->front() != '/') c.error(*table.get("health_path"), lctx + "'health_path' must start with '/'");
        else if (breaks_lines(*path))
            c.error(*table.get("health_path"), lctx + "'health_path' holds a line break (CR or LF) or NUL, which would "
                                                      "split the health check's request; remove it");
        else launch.health_path = *path;
    }
    if (auto d = c.duration(table, "start_timeout", lctx)) launch.start_timeout = *d;
    if (auto d = c.duration(table, "stop_timeout", lctx)) launch.stop_timeout = *d;
    fw.local = std::move(launch);
}

void read_frameworks(checker& c, const toml::table& root, manifest& m) {
    const toml::node* node = root.get("framework");
    if (!node) {
        c.error(manifest_location{c.file(), 1, 1},
                "no framework to measure: add at least one [[framework]] table with a name and a url");
        return;
    }
    auto* array = node->as_array();
    if (!array || !array->is_array_of_tables()) {
        c.error(*node, fmt::format("'framework' must be an array of tables ([[framework]]), found {}", type_of(*node)));
        return;
    }
    std::set<std::string> names;
    for (const auto& element : *array) {
        const auto& table = *element.as_table();
        framework_entry fw;
        fw.where = c.at(table);
        auto name = c.string(table, "name", "framework: ");
        if (!name) {
            if (!table.get("name")) c.error(table, "framework: missing key 'name'");
            continue;
        }
        if (auto problem = name_problem(*name); !problem.empty()) {
            c.error(*table.get("name"), fmt::format("framework name \"{}\" {}", *name, problem));
            continue;
        }
        fw.name = *name;
        const std::string ctx = fmt::format("framework '{}': ", fw.name);
        if (!names.insert(fw.name).second) c.error(*table.get("name"), ctx + "defined twice; names must be unique");
        c.known_keys(table, framework_keys, ctx);
        if (auto* url = table.get("url")) {
            if (url->is_string()) read_url(c, *url, fw, ctx);
            else c.error(*url, fmt::format("{}'url' must be a string, found {}", ctx, type_of(*url)));
        } else {
            c.error(table, ctx + "missing key 'url' (where the framework answers, like \"http://127.0.0.1:8081\")");
        }
        if (auto ws = c.boolean(table, "websocket", ctx)) fw.websocket = *ws;
        if (auto container = c.string(table, "container", ctx)) {
            if (container->empty()) c.error(*table.get("container"), ctx + "'container' is empty; give the Docker container's name or id");
            else if (breaks_lines(*container))
                c.error(*table.get("container"), ctx + "'container' holds a line break (CR or LF) or NUL, which would "
                                                       "split the Docker Engine request; give the container's name or id");
            else fw.container = *container;
        }
        auto* local = c.typed<toml::table>(table, "local", ctx, "a table");
        if (auto mode = c.string(table, "mode", ctx)) {
            if (*mode == "external") fw.mode = framework_entry::launch_mode::external;
            else if (*mode == "local") fw.mode = framework_entry::launch_mode::local;
            else c.error(*table.get("mode"), fmt::format("{}'mode' must be \"external\" or \"local\", found \"{}\"", ctx, *mode));
        } else if (local) {
            fw.mode = framework_entry::launch_mode::local;
        }
        if (fw.mode == framework_entry::launch_mode::local) {
            if (local) read_local(c, *local, fw, ctx, m.dir);
            else c.error(table, ctx + "mode is \"local\" but there is no [framework.local] table saying how to start it");
            if (!fw.container.empty())
                c.error(*table.get("container"),
                        ctx + "'container' is for external frameworks (the Docker container serving it); a local "
                              "framework's processes are read from /proc: remove 'container' or set mode = \"external\"");
        } else if (local) {
            read_local(c, *local, fw, ctx, m.dir);  // checked even when unused, so it is right when switched on
        }
        m.frameworks.push_back(std::move(fw));
    }
}

// Two reporters writing one file would leave only the last one's report.
void check_reporter_files(checker& c, const manifest& m) {
    std::map<std::string, std::string> writer;  // file -> reporter
    for (const auto& r : m.reporters) {
        if (!r.options.contains("file")) continue;
        const std::string file = r.options.string("file");
        auto [it, first] = writer.emplace(file, r.name);
        if (first) continue;
        auto where = r.option_locations.find("file");
        c.error(where != r.option_locations.end() ? where->second : r.where,
                fmt::format("reporter '{}': file '{}' is written by reporter '{}' too, and one report would overwrite "
                            "the other; give each reporter its own 'file'",
                            r.name, file, it->second));
    }
}

// Validates one plugin's option table against its declaration.
void read_options(checker& c, const toml::table* table, const manifest_location& entry_where, plugin_entry& entry) {
    const auto& info = *entry.plugin;
    const std::string ctx = fmt::format("{} '{}': ", kind_name(entry.kind), entry.name);
    std::vector<std::string> known{"plugin"};
    for (const auto& spec : info.options) known.push_back(spec.key);
    entry.options = info.defaults;
    if (table) {
        c.known_keys(*table, known, ctx);
        for (const auto& spec : info.options) {
            const toml::node* node = table->get(spec.key);
            if (!node) continue;
            entry.option_locations[spec.key] = c.at(*node);
            std::string problem;
            auto value = convert(spec.type, *node, problem);
            if (value && std::holds_alternative<std::string>(*value) && breaks_lines(std::get<std::string>(*value)))
                c.error(*node, fmt::format("{}option '{}' holds a line break (CR or LF) or NUL, which would split the "
                                           "request it goes into; remove it",
                                           ctx, spec.key));
            else if (value) entry.options.set(spec.key, std::move(*value));
            else c.error(*node, fmt::format("{}option '{}' must be {}, {}", ctx, spec.key, describe(spec.type), problem));
        }
    }
    for (const auto& spec : info.options)
        if (!spec.default_value && !(table && table->get(spec.key)))
            c.error(table ? c.at(*table) : entry_where,
                    fmt::format("{}missing required option '{}' ({}: {})", ctx, spec.key, describe(spec.type),
                                spec.description ? spec.description : ""));
}

void read_plugin_entries(checker& c, const toml::table& root, const plugin_host& host, plugin_kind kind,
                         std::string_view list_key, std::string_view table_key, bool required,
                         std::vector<plugin_entry>& out) {
    const toml::table* tables = c.typed<toml::table>(root, table_key, "", "a table of tables");
    std::optional<std::vector<std::pair<std::string, manifest_location>>> names = c.strings(root, list_key);
    if (!names) {
        if (!root.get(list_key) && required)
            c.error(manifest_location{c.file(), 1, 1},
                    fmt::format("missing key '{}': list the {}s to run, like {} = [\"{}\"] (available: {})", list_key,
                                kind_name(kind), list_key,
                                kind == plugin_kind::scenario ? "ping" : kind == plugin_kind::load_pattern ? "steady" : "md",
                                host.available(kind)));
        names.emplace();
    } else if (names->empty() && required) {
        // An empty list would run nothing and exit 0, as if everything had passed.
        c.error(*root.get(list_key), fmt::format("'{}' is empty: list at least one {}, like {} = [\"{}\"] (available: {})",
                                                 list_key, kind_name(kind), list_key,
                                                 kind == plugin_kind::scenario ? "ping" : "steady", host.available(kind)));
    }
    std::set<std::string> seen;
    for (const auto& [name, where] : *names) {
        if (auto problem = name_problem(name); !problem.empty()) {
            c.error(where, fmt::format("{} name \"{}\" {}", kind_name(kind), name, problem));
            seen.insert(name);  // its table is not "unlisted" as well
            continue;
        }
        if (!seen.insert(name).second) {
            c.error(where, fmt::format("{} '{}' is listed twice in '{}'", kind_name(kind), name, list_key));
            continue;
        }
        plugin_entry entry;
        entry.kind = kind;
        entry.name = name;
        entry.where = where;
        const toml::table* options = nullptr;
        std::string plugin_id = name;
        if (tables) {
            if (const toml::node* node = tables->get(name)) {
                options = node->as_table();
                if (!options) {
                    c.error(*node, fmt::format("{}.{} must be a table of options, found {}", table_key, name, type_of(*node)));
                    continue;
                }
                if (const toml::node* p = options->get("plugin")) {
                    if (auto id = p->value<std::string>()) plugin_id = *id;
                    else {
                        c.error(*p, fmt::format("{} '{}': 'plugin' must be a string naming a {} plugin, found {}",
                                                kind_name(kind), name, kind_name(kind), type_of(*p)));
                        continue;
                    }
                }
            }
        }
        entry.plugin = host.find(kind, plugin_id);
        if (!entry.plugin) {
            const bool aliased = plugin_id != name;
            c.error(aliased ? c.at(*options->get("plugin")) : where, host.unknown_plugin_message(kind, plugin_id));
            continue;
        }
        read_options(c, options, where, entry);
        out.push_back(std::move(entry));
    }
    if (tables) {
        for (const auto& [key, value] : *tables) {
            if (seen.count(std::string(key.str()))) continue;
            c.error(c.at(key.source()),
                    fmt::format("[{}.{}] configures a {} that '{}' does not list; add \"{}\" to {} = [...] or remove "
                                "the table",
                                table_key, key.str(), kind_name(kind), list_key, key.str(), list_key));
        }
    }
}

// [profile]: what to profile, with which profiler, how often. Targets name what the manifest
// has, so a misspelt one is an error rather than a run without its flamegraph.
void read_profile(checker& c, const toml::table& root, manifest& m) {
    auto* table = c.typed<toml::table>(root, "profile", "", "a table");
    if (!table) return;
    const std::string ctx = "profile: ";
    c.known_keys(*table, profile_keys, ctx);
    auto& p = m.profile;
    if (auto name = c.string(*table, "profiler", ctx)) {
        if (*name == "auto") p.profiler = profile_settings::choice::automatic;
        else if (*name == "python-sampler") p.profiler = profile_settings::choice::python_sampler;
        else if (*name == "py-spy") p.profiler = profile_settings::choice::py_spy;
        else if (*name == "perf") p.profiler = profile_settings::choice::perf;
        else
            c.error(*table->get("profiler"),
                    fmt::format("{}'profiler' must be \"auto\", \"python-sampler\", \"py-spy\" or \"perf\", found \"{}\"{}", ctx,
                                *name, did_you_mean(*name, {"auto", "python-sampler", "py-spy", "perf"})));
    }
    if (auto hz = c.integer(*table, "frequency", 1, 1000, ctx)) p.frequency = static_cast<unsigned>(*hz);
    auto targets = c.strings(*table, "targets", ctx);
    if (!targets) {
        if (!table->get("targets"))
            c.error(*table, ctx + "missing key 'targets': list what to profile, like targets = [\"fastapi/json\"] "
                                  "(framework/scenario or framework/scenario/pattern; '*' matches any)");
        return;
    }
    std::vector<std::string> frameworks, scenarios, patterns;
    for (const auto& f : m.frameworks) frameworks.push_back(f.name);
    for (const auto& e : m.scenarios) scenarios.push_back(e.name);
    for (const auto& e : m.patterns) patterns.push_back(e.name);
    for (const auto& entry : *targets) {
        // Named, not a structured binding: the lambda below uses them, and clang before 16
        // cannot capture a structured binding (C++20 P1091).
        const std::string& text = entry.first;
        const manifest_location& where = entry.second;
        std::vector<std::string> parts;
        for (std::size_t at = 0;;) {
            const auto slash = text.find('/', at);
            parts.push_back(text.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
            if (slash == std::string::npos) break;
            at = slash + 1;
        }
        if (parts.size() < 2 || parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](const auto& s) { return s.empty(); })) {
            c.error(where, fmt::format("{}target \"{}\" must be framework/scenario or framework/scenario/pattern, like "
                                       "\"fastapi/json\" or \"*/db-read/steady\"",
                                       ctx, text));
            continue;
        }
        bool known = true;
        auto check = [&](const std::string& name, const std::vector<std::string>& names, const char* what) {
            if (name == "*" || std::find(names.begin(), names.end(), name) != names.end()) return;
            c.error(where, fmt::format("{}target \"{}\" names {} '{}', which the manifest does not have (it has: {}){}", ctx,
                                       text, what, name, joined(names), did_you_mean(name, names)));
            known = false;
        };
        check(parts[0], frameworks, "framework");
        check(parts[1], scenarios, "scenario");
        if (parts.size() == 3) check(parts[2], patterns, "pattern");
        if (known) p.targets.push_back({parts[0], parts[1], parts.size() == 3 ? parts[2] : "*", where});
    }
}

}  // namespace

std::string manifest_location::str() const { return fmt::format("{}:{}:{}", file, line, column); }

bool profile_settings::wants(const std::string& framework, const std::string& scenario, const std::string& pattern) const {
    auto match = [](const std::string& wanted, const std::string& name) { return wanted == "*" || wanted == name; };
    return std::any_of(targets.begin(), targets.end(), [&](const target& t) {
        return match(t.framework, framework) && match(t.scenario, scenario) && match(t.pattern, pattern);
    });
}

bool profile_settings::wants_framework(const std::string& framework) const {
    return std::any_of(targets.begin(), targets.end(),
                       [&](const target& t) { return t.framework == "*" || t.framework == framework; });
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    // Levenshtein distance; suggest the closest candidate within 2 edits.
    auto distance = [](std::string_view a, std::string_view b) {
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t up = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
                diagonal = up;
            }
        }
        return row[b.size()];
    };
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& c : candidates) {
        const auto d = distance(word, c);
        if (d < best_distance) { best_distance = d; best = c; }
    }
    return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
}

std::vector<search_dir> manifest_plugin_dirs(const fs::path& file) {
    std::vector<search_dir> dirs;
    toml::table root;
    try {
        root = toml::parse(read_manifest_text(file), file.string());
    } catch (const std::exception&) {
        return dirs;  // `validate` reports what is wrong with the file
    }
    const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    if (auto* paths = root["plugin_paths"].as_array())
        for (const auto& p : *paths)
            if (auto s = p.value<std::string>())
                dirs.push_back({fs::path(*s).is_absolute() ? fs::path(*s) : dir / *s, "plugin_paths in " + file.string()});
    return dirs;
}

manifest load_manifest(const fs::path& file, plugin_host& host, const std::vector<search_dir>& base_dirs) {
    manifest m;
    m.file = file;
    m.dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    const std::string name = file.string();
    const auto in_dir = [&](const std::string& relative) { return (m.dir / relative).lexically_normal(); };

    const std::string text = read_manifest_text(file);
    m.sha256 = sha256_hex(text);

    toml::table root;
    try {
        root = toml::parse(text, name);
    } catch (const toml::parse_error& e) {
        throw manifest_error({fmt::format("{}:{}:{}: error: not valid TOML: {}", name, e.source().begin.line,
                                          e.source().begin.column, e.description())});
    }

    checker c(name);
    c.known_keys(root, top_level_keys, "");

    // plugin_paths first: the plugins they hold are needed to check the rest.
    std::vector<search_dir> dirs = base_dirs;
    if (auto paths = c.strings(root, "plugin_paths")) {
        for (const auto& [path, where] : *paths) {
            fs::path resolved = fs::path(path).is_absolute() ? fs::path(path) : m.dir / path;
            std::error_code ec;
            if (!fs::is_directory(resolved, ec)) {
                c.error(where, fmt::format("plugin_paths: \"{}\" is not a directory ({})", path, resolved.string()));
                continue;
            }
            m.plugin_paths.push_back(resolved);
            dirs.push_back({resolved, "plugin_paths in " + name});
        }
    }
    host.discover(dirs);
    if (!host.problems().empty()) {
        std::string message = "some libraries in the plugin path are not usable plugins:";
        for (const auto& p : host.problems()) message += "\n  " + p.message;
        throw plugin_error(message);
    }

    m.output_dir = in_dir(c.string(root, "output_dir").value_or("results"));
    if (auto runs = c.integer(root, "runs", 1, 1000)) m.runs = static_cast<unsigned>(*runs);
    if (auto interleave = c.boolean(root, "interleave")) m.interleave = *interleave;
    read_engine(c, root, m.engine);
    scenario_name_lists database_scenarios;
    read_database(c, root, m, database_scenarios);
    read_local_defaults(c, root, m);
    read_frameworks(c, root, m);
    read_plugin_entries(c, root, host, plugin_kind::scenario, "scenarios", "scenario", true, m.scenarios);
    // Only the entries that exist are named; a list that is absent keeps its defaults, which need not be run.
    check_scenario_names(c, m, database_scenarios);
    read_plugin_entries(c, root, host, plugin_kind::load_pattern, "patterns", "pattern", true, m.patterns);
    read_plugin_entries(c, root, host, plugin_kind::reporter, "reporters", "reporter", false, m.reporters);
    check_reporter_files(c, m);
    read_profile(c, root, m);

    if (!c.diagnostics().empty()) {
        // The plugins' own checks of their values (ranges, combinations) run too, so that one
        // pass shows every problem rather than revealing them a layer at a time.
        auto all = c.diagnostics();
        try {
            instantiate(m, host);
        } catch (const manifest_error& e) {
            all.insert(all.end(), e.diagnostics().begin(), e.diagnostics().end());
        }
        // In file order, as one would fix them.
        auto position = [](const std::string& d) {
            std::pair<long, long> at{LONG_MAX, LONG_MAX};
            std::sscanf(d.c_str() + std::min(d.find(':'), d.size()), ":%ld:%ld", &at.first, &at.second);
            return at;
        };
        std::stable_sort(all.begin(), all.end(),
                         [&](const std::string& a, const std::string& b) { return position(a) < position(b); });
        throw manifest_error(all);
    }
    return m;
}

void apply_filters(manifest& m, const std::vector<std::string>& frameworks, const std::vector<std::string>& scenarios,
                   const std::vector<std::string>& patterns, std::optional<unsigned> runs) {
    auto keep = [](auto& entries, const std::vector<std::string>& wanted, std::string_view what, auto name_of) {
        if (wanted.empty()) return;
        std::vector<std::string> all;
        for (const auto& e : entries) all.push_back(name_of(e));
        for (const auto& w : wanted)
            if (std::find(all.begin(), all.end(), w) == all.end())
                throw config_error(fmt::format("--{} {}: the manifest has no {} '{}' (it has: {}){}", what, w, what, w,
                                               joined(all), did_you_mean(w, all)));
        std::erase_if(entries, [&](const auto& e) {
            return std::find(wanted.begin(), wanted.end(), name_of(e)) == wanted.end();
        });
    };
    keep(m.frameworks, frameworks, "framework", [](const framework_entry& f) { return f.name; });
    keep(m.scenarios, scenarios, "scenario", [](const plugin_entry& e) { return e.name; });
    keep(m.patterns, patterns, "pattern", [](const plugin_entry& e) { return e.name; });
    if (runs) m.runs = *runs;
}

plugin_instances instantiate(const manifest& m, const plugin_host& host) {
    plugin_instances instances;
    std::vector<std::string> diagnostics;
    const std::string dir = m.dir.string();
    auto make = [&](const plugin_entry& entry, auto&& factory) {
        if (!entry.plugin) return decltype(factory(*entry.plugin, entry.options, dir)){};  // already reported
        try {
            return factory(*entry.plugin, entry.options, dir);
        } catch (const sdk::config_error& e) {
            auto it = entry.option_locations.find(e.key());
            const manifest_location& where = it != entry.option_locations.end() ? it->second : entry.where;
            diagnostics.push_back(fmt::format("{}: error: {} '{}': option '{}': {}", where.str(), kind_name(entry.kind),
                                              entry.name, e.key(), e.what()));
            return decltype(factory(*entry.plugin, entry.options, dir)){};
        } catch (const std::exception& e) {
            diagnostics.push_back(fmt::format("{}: error: {} '{}' (plugin '{}') refused its options: {}", entry.where.str(),
                                              kind_name(entry.kind), entry.name, entry.plugin->id, e.what()));
            return decltype(factory(*entry.plugin, entry.options, dir)){};
        }
    };
    for (const auto& e : m.scenarios)
        instances.scenarios.push_back(make(e, [&](auto&&... a) { return host.make_scenario(a...); }));
    for (const auto& e : m.patterns)
        instances.patterns.push_back(make(e, [&](auto&&... a) { return host.make_load_pattern(a...); }));
    for (const auto& e : m.reporters)
        instances.reporters.push_back(make(e, [&](auto&&... a) { return host.make_reporter(a...); }));
    if (!diagnostics.empty()) throw manifest_error(diagnostics);
    return instances;
}

}  // namespace shootout::core
