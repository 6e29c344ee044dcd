// What every reader of a manifest table shares: the checker, which collects every problem of
// one manifest at its place (file:line:col), and typed access to TOML values that reports a
// wrong type there instead of throwing.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "manifest.h"
#include "option_parsing.h"
#include "printable.h"

namespace shootout::core::tables {

/// "a string", "an integer", "a table": what a TOML value is, for messages.
std::string type_of(const toml::node& node);
/// "a, b, c"
std::string joined(const std::vector<std::string>& items);
/// Text that goes into an HTTP request (a path, a header) must not end the line it is on: CR or
/// LF would split the request (request smuggling), NUL cuts it short.
bool breaks_lines(std::string_view text);

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

    // A plugin entry that lacks a required value (not written, or written wrong) is not made
    // in the pass that runs the plugins' own checks: it would only fail on the missing value.
    void incomplete(plugin_kind kind, const std::string& name) { incomplete_.emplace(kind, name); }
    bool is_incomplete(const plugin_entry& e) const { return incomplete_.count({e.kind, e.name}) != 0; }

private:
    std::string file_;
    std::vector<std::string> diagnostics_;
    std::set<std::pair<plugin_kind, std::string>> incomplete_;
};

/// Names of scenarios a table lists, by the key that lists them, each at its place.
using scenario_name_lists =
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, manifest_location>>>>;

}  // namespace shootout::core::tables
