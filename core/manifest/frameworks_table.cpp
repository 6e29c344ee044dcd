// [[framework]]: what is measured, where it answers, and for local ones how to start it.
#include <cctype>
#include <cstdlib>

#include <boost/url/parse.hpp>

#include "manifest/tables.h"
#include "names.h"

namespace shootout::core {

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

namespace tables {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> framework_keys = {"name", "mode", "url", "websocket", "local", "container"};
const std::vector<std::string> local_keys = {"command",         "working_dir",   "environment", "health_path",
                                             "start_timeout",   "stop_timeout",  "check_command", "missing_hint",
                                             "version_command", "cpus"};

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

// 'container' names the Docker container serving an external framework.
void read_container(checker& c, const toml::table& table, framework_entry& fw, const std::string& ctx) {
    auto container = c.string(table, "container", ctx);
    if (!container) return;
    if (container->empty()) c.error(*table.get("container"), ctx + "'container' is empty; give the Docker container's name or id");
    else if (breaks_lines(*container))
        c.error(*table.get("container"), ctx + "'container' holds a line break (CR or LF) or NUL, which would "
                                               "split the Docker Engine request; give the container's name or id");
    else fw.container = *container;
}

// 'mode' and [framework.local]: how the framework runs, and how to start a local one.
void read_launch(checker& c, const toml::table& table, framework_entry& fw, const std::string& ctx,
                 const fs::path& manifest_dir) {
    auto* local = c.typed<toml::table>(table, "local", ctx, "a table");
    if (auto mode = c.string(table, "mode", ctx)) {
        if (*mode == "external") fw.mode = framework_entry::launch_mode::external;
        else if (*mode == "local") fw.mode = framework_entry::launch_mode::local;
        else c.error(*table.get("mode"), fmt::format("{}'mode' must be \"external\" or \"local\", found \"{}\"", ctx, *mode));
    } else if (local) {
        fw.mode = framework_entry::launch_mode::local;
    }
    if (fw.mode == framework_entry::launch_mode::local) {
        if (local) read_local(c, *local, fw, ctx, manifest_dir);
        else c.error(table, ctx + "mode is \"local\" but there is no [framework.local] table saying how to start it");
        if (!fw.container.empty())
            c.error(*table.get("container"),
                    ctx + "'container' is for external frameworks (the Docker container serving it); a local "
                          "framework's processes are read from /proc: remove 'container' or set mode = \"external\"");
    } else if (local) {
        read_local(c, *local, fw, ctx, manifest_dir);  // checked even when unused, so it is right when switched on
    }
}

// One [[framework]] table; nullopt when it has no usable name (its other keys are not read).
std::optional<framework_entry> read_framework(checker& c, const toml::table& table, std::set<std::string>& names,
                                              const fs::path& manifest_dir) {
    framework_entry fw;
    fw.where = c.at(table);
    auto name = c.string(table, "name", "framework: ");
    if (!name) {
        if (!table.get("name")) c.error(table, "framework: missing key 'name'");
        return std::nullopt;
    }
    if (auto problem = name_problem(*name); !problem.empty()) {
        c.error(*table.get("name"), fmt::format("framework name \"{}\" {}", *name, problem));
        return std::nullopt;
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
    read_container(c, table, fw, ctx);
    read_launch(c, table, fw, ctx, manifest_dir);
    return fw;
}

}  // namespace

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
    for (const auto& element : *array)
        if (auto fw = read_framework(c, *element.as_table(), names, m.dir)) m.frameworks.push_back(std::move(*fw));
}

}  // namespace tables
}  // namespace shootout::core
