// Plugin options: the plugin declares them, the host validates the manifest table against the
// declaration before the plugin sees it, and hands the plugin typed values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "abi.h"

namespace shootout::sdk {

/// How an option is written in the manifest, and the C++ type the plugin reads it as.
enum class option_type : std::uint32_t {
    boolean,      ///< TOML boolean                                   -> bool
    integer,      ///< TOML integer                                   -> std::int64_t
    number,       ///< TOML integer or float                          -> double
    string,       ///< TOML string                                    -> std::string
    duration,     ///< "30s", "500ms", "2m", "1h", or a number of seconds -> std::chrono::nanoseconds
    size,         ///< "5MiB", "64KiB", "10MB", "512B", or an integer of bytes -> std::uint64_t
    string_list,  ///< array of strings                               -> std::vector<std::string>
};

/// One option a plugin accepts. Plain data, so a static array of these can sit in the
/// descriptor. `default_value` is written as it would be in the manifest, without TOML quoting
/// ("50", "30s", "5MiB", "true", "text/plain", "a,b" for a list); null means the option is
/// required. The host checks at load time that every default parses as its type.
struct option_spec {
    const char* key;
    option_type type;
    const char* default_value;
    const char* description;  ///< one line, shown by `shootout list-plugins --options`
};

/// The validated options one plugin instance receives: every declared key is present, either
/// from the manifest or from its default, with the declared type.
class option_values {
public:
    using value = std::variant<bool, std::int64_t, double, std::string, std::chrono::nanoseconds,
                               std::uint64_t, std::vector<std::string>>;

    void set(std::string key, value v) { values_[std::move(key)] = std::move(v); }
    bool contains(const std::string& key) const { return values_.count(key) != 0; }

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

    const std::map<std::string, value>& all() const { return values_; }

private:
    template <typename T>
    const T& get(const std::string& key) const {
        auto it = values_.find(key);
        if (it == values_.end())
            throw std::logic_error("option '" + key + "' was not declared by this plugin");
        if (auto* v = std::get_if<T>(&it->second)) return *v;
        throw std::logic_error("option '" + key + "' is read with a type other than declared");
    }
    std::map<std::string, value> values_;
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
