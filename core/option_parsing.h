// Turns manifest values into typed plugin options, by the plugin's declaration.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <shootout/sdk/options.h>

namespace toml { inline namespace v3 { class node; } }

namespace shootout::core {

/// The name of a type as a manifest author writes it: "a duration like \"30s\"".
std::string describe(sdk::option_type type);

/// "30s", "1.5m", "250ms", "10us", "2h"; nullopt if it is none of those.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);
/// Why parse_duration refused `text`, to follow "--warmup -1s: ": negative, no or an unknown
/// unit, or longer than the longest (1e9 s), each with what is allowed.
std::string duration_problem(std::string_view text);
/// "5MiB", "64KiB", "10MB", "1GB", "512B", "4096"; nullopt if it is none of those.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// Parses a declared default (the text form of option_spec::default_value). For a table, only
/// "" (optional) parses, to an empty table: declared_defaults fills in its fields.
std::optional<sdk::option_values::value> parse_default(sdk::option_type type, std::string_view text);

/// The defaults of `specs` (nested tables' fields too), none of them given; `path` is where
/// they sit ("" at the top, "expect" for a table's fields). Defaults that do not parse are
/// left out: plugin_host refuses such plugins at load.
sdk::option_values declared_defaults(const sdk::option_spec* specs, std::size_t count, const std::string& path = {});

/// "found integer 5", "found string \"x\"", "found table": what a value is, for messages.
std::string found(const toml::node& node);

/// Converts a TOML value. On failure returns nullopt and sets `problem` to what was found
/// ("found integer 5", "found \"30\" with no unit").
std::optional<sdk::option_values::value> convert(sdk::option_type type, const toml::node& node,
                                                 std::string& problem);

/// The text a person would write for a value, for messages and `list-plugins`.
std::string to_text(const sdk::option_values::value& value);

}  // namespace shootout::core
