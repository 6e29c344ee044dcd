// Plugin options: the plugin declares them, the host validates the manifest table against the
// declaration before the plugin sees it, and hands the plugin typed values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "abi.h"

namespace shootout::sdk {

/// How an option is written in the manifest, and the C++ type the plugin reads it as.
enum class option_type : std::uint32_t {
    boolean,       ///< TOML boolean                                   -> bool
    integer,       ///< TOML integer                                   -> std::int64_t
    number,        ///< TOML integer or float                          -> double
    string,        ///< TOML string                                    -> std::string
    duration,      ///< "30s", "500ms", "2m", "1h", or a number of seconds -> std::chrono::nanoseconds
    size,          ///< "5MiB", "64KiB", "10MB", "512B", or an integer of bytes -> std::uint64_t
    string_list,   ///< array of strings                               -> std::vector<std::string>
    integer_list,  ///< array of integers                              -> std::vector<std::int64_t>
    number_list,   ///< array of integers or floats                    -> std::vector<double>
    /// A TOML table holding the options declared in `fields` (`expect = { status = [200] }`,
    /// `expect.status = [200]` or an `[scenario.x.expect]` table)  -> const option_values&
    table,
    /// An array of such tables (`[[scenario.x.request]]` tables, or `request = [{...}, {...}]`)
    ///                                                                -> const std::vector<option_values>&
    table_list,
    /// Any TOML value the plugin interprets itself (`headers = { Accept = "text/html" }`, an
    /// expected JSON document), handed over as its JSON text ("" when not given; TOML dates and
    /// times become JSON strings)                                      -> std::string
    json,
};

/// One option a plugin accepts. Plain data, so a static array of these can sit in the
/// descriptor. `default_value` is written as it would be in the manifest, without TOML quoting
/// ("50", "30s", "5MiB", "true", "text/plain", "a,b" or "200,204" for a list, an inline TOML
/// value like "{}" or "" for none for a `json` option); null means the option is required. The host checks at load time that every default parses as its type.
///
/// A `table` or `table_list` lists its own options in `fields` (another static array), which
/// the host validates like the top level: every key known (with did-you-mean), typed, at its
/// file:line:col. Its `default_value` is null (required) or "" (optional: an absent table holds
/// its fields' defaults, an absent table list is empty). A field without a default is required
/// only where its table is written.
struct option_spec {
    const char* key;
    option_type type;
    const char* default_value;
    const char* description;  ///< one line, shown by `shootout list-plugins --options`
    const option_spec* fields = nullptr;  ///< table and table_list only: the options of each table
    std::size_t field_count = 0;
};

/// The validated options one plugin instance receives: every declared key is present, either
/// from the manifest (or the command line) or from its default, with the declared type, and
/// given() says which. A nested table's values are an option_values of their own.
class option_values {
public:
    using value = std::variant<bool, std::int64_t, double, std::string, std::chrono::nanoseconds, std::uint64_t,
                               std::vector<std::string>, std::vector<std::int64_t>, std::vector<double>,
                               std::shared_ptr<const option_values>,  // table (immutable once validated)
                               std::vector<option_values>>;           // table_list

    /// A value the manifest or the command line gave: given(key) is true afterwards.
    void set(std::string key, value v) {
        given_.insert(key);
        values_[std::move(key)] = std::move(v);
    }
    /// A declared default: given(key) is false afterwards.
    void set_default(std::string key, value v) {
        given_.erase(key);
        values_[std::move(key)] = std::move(v);
    }
    bool contains(const std::string& key) const { return values_.count(key) != 0; }
    /// Whether the manifest or the command line set `key`, rather than its default: a value
    /// equal to the default counts as given. For a table: whether the table was written.
    bool given(const std::string& key) const { return given_.count(key) != 0; }

    bool boolean(const std::string& key) const { return get<bool>(key); }
    std::int64_t integer(const std::string& key) const { return get<std::int64_t>(key); }
    double number(const std::string& key) const { return get<double>(key); }
    const std::string& string(const std::string& key) const { return get<std::string>(key); }
    std::chrono::nanoseconds duration(const std::string& key) const {
        return get<std::chrono::nanoseconds>(key);
    }
    std::uint64_t size(const std::string& key) const { return get<std::uint64_t>(key); }
    const std::vector<std::string>& string_list(const std::string& key) const {
        return get<std::vector<std::string>>(key);
    }
    const std::vector<std::int64_t>& integer_list(const std::string& key) const {
        return get<std::vector<std::int64_t>>(key);
    }
    const std::vector<double>& number_list(const std::string& key) const { return get<std::vector<double>>(key); }
    const option_values& table(const std::string& key) const {
        return *get<std::shared_ptr<const option_values>>(key);
    }
    const std::vector<option_values>& table_list(const std::string& key) const {
        return get<std::vector<option_values>>(key);
    }

    /// Where these values sit among the plugin's options: "" for the top level, "expect" for a
    /// table, "request[1]" for the second table of a list (counted from 0).
    const std::string& path() const { return path_; }
    void set_path(std::string path) { path_ = std::move(path); }
    /// The name to give sdk::config_error for `key` of these values ("request[1].path"), so the
    /// host reports the problem at that key's place in the manifest.
    std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

    const std::map<std::string, value>& all() const { return values_; }

private:
    template <typename T>
    const T& get(const std::string& key) const {
        auto it = values_.find(key);
        if (it == values_.end())
            throw std::logic_error("option '" + key_path(key) + "' was not declared by this plugin, or is a field "
                                   "without a default in a table that was not written (check given() first)");
        if (auto* v = std::get_if<T>(&it->second)) return *v;
        throw std::logic_error("option '" + key_path(key) + "' is read with a type other than declared");
    }
    std::map<std::string, value> values_;
    std::set<std::string> given_;
    std::string path_;
};

/// Thrown by a plugin's constructor when option values are individually valid but wrong
/// together or out of range. The host reports it at the option's place in the manifest:
/// `shootout.toml:12:7: error: scenario 'db-read': option 'id_max': must be at least id_min (1)`.
class SHOOTOUT_SDK_API config_error : public std::runtime_error {
public:
    config_error(std::string key, const std::string& message)
        : std::runtime_error(message), key_(std::move(key)) {}
    const std::string& key() const noexcept { return key_; }

private:
    std::string key_;
};

}  // namespace shootout::sdk
