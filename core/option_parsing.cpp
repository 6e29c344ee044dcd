#include "option_parsing.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include <toml++/toml.h>

namespace shootout::core {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits "12.5ms" into 12.5 and "ms". Only plain decimal numbers: no sign, no exponent.
bool split_number(std::string_view text, double& number, std::string_view& unit) {
    text = trim(text);
    std::size_t i = 0;
    bool digits = false, dot = false;
    for (; i < text.size(); ++i) {
        if (text[i] >= '0' && text[i] <= '9') digits = true;
        else if (text[i] == '.' && !dot) dot = true;
        else break;
    }
    if (!digits) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + i, number);
    if (ec != std::errc{} || end != text.data() + i) return false;
    unit = trim(text.substr(i));
    return true;
}

std::string toml_type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "string";
        case toml::node_type::integer: return "integer";
        case toml::node_type::floating_point: return "float";
        case toml::node_type::boolean: return "boolean";
        case toml::node_type::array: return "array";
        case toml::node_type::table: return "table";
        case toml::node_type::date: return "date";
        case toml::node_type::time: return "time";
        case toml::node_type::date_time: return "date-time";
        default: return "nothing";
    }
}

}  // namespace

std::string found(const toml::node& node) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, its bug 105329) on
    // `" " + std::to_string(...)` inlined here.
    std::string text = "found ";
    text += toml_type_name(node);
    if (auto s = node.value<std::string>()) text.append(" \"").append(*s).append("\"");
    else if (auto i = node.as_integer()) text.append(" ").append(std::to_string(i->get()));
    else if (auto b = node.as_boolean()) text += b->get() ? " true" : " false";
    return text;
}

namespace {

// "1,2, 3" as items; "" as none. The text form of a list default.
std::vector<std::string_view> comma_items(std::string_view text) {
    std::vector<std::string_view> items;
    while (!text.empty()) {
        auto comma = text.find(',');
        items.push_back(trim(text.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return items;
}

template <typename T>
bool parse_whole(std::string_view text, T& v) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc{} && end == text.data() + text.size();
}

// An array of integers (or of numbers), or nullopt with `problem` naming the first element
// that is not one.
template <typename T>
std::optional<sdk::option_values::value> numbers_of(const toml::node& node, std::string& problem) {
    auto a = node.as_array();
    if (!a) return std::nullopt;
    std::vector<T> items;
    for (const auto& element : *a) {
        if (auto i = element.as_integer()) items.push_back(static_cast<T>(i->get()));
        else if (auto f = element.as_floating_point(); f && std::is_floating_point_v<T>) items.push_back(static_cast<T>(f->get()));
        else {
            problem = "found an array holding " + found(element).substr(6);
            return std::nullopt;
        }
    }
    return sdk::option_values::value{std::move(items)};
}

// A TOML value as JSON text, compact (no indentation): what a `json` option holds.
std::string json_text(const toml::node& node) {
    std::ostringstream out;
    out << toml::json_formatter{node, toml::format_flags::quote_dates_and_times};
    return out.str();
}

}  // namespace

std::string describe(sdk::option_type type) {
    switch (type) {
        case sdk::option_type::boolean: return "a boolean (true or false)";
        case sdk::option_type::integer: return "an integer";
        case sdk::option_type::number: return "a number";
        case sdk::option_type::string: return "a string";
        case sdk::option_type::duration: return "a duration like \"30s\", \"500ms\" or \"2m\"";
        case sdk::option_type::size: return "a size like \"5MiB\", \"64KiB\" or a number of bytes";
        case sdk::option_type::string_list: return "an array of strings";
        case sdk::option_type::integer_list: return "an array of integers";
        case sdk::option_type::number_list: return "an array of numbers";
        case sdk::option_type::table: return "a table";
        case sdk::option_type::table_list: return "an array of tables";
        case sdk::option_type::json: return "a TOML value (a table, an array, a string, a number or a boolean)";
    }
    return "a value";
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
    double number = 0;
    std::string_view unit;
    if (!split_number(text, number, unit)) return std::nullopt;
    double scale = 0;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "µs") scale = 1e3;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    else if (unit == "m" || unit == "min") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else return std::nullopt;
    const double ns = number * scale;
    if (!std::isfinite(ns) || ns > 1e18) return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
}

std::string duration_problem(std::string_view text) {
    const auto trimmed = trim(text);
    double number = 0;
    std::string_view unit;
    if (!trimmed.empty() && trimmed.front() == '-' && split_number(trimmed.substr(1), number, unit))
        return "must not be negative; give 0s or more, like \"30s\"";
    if (!split_number(trimmed, number, unit)) return "must be " + describe(sdk::option_type::duration);
    if (unit.empty()) return "has no unit; write it like \"30s\" (units: ns, us, ms, s, m, h)";
    if (!parse_duration(std::string("1") + std::string(unit)))
        return "has unit '" + std::string(unit) + "'; use ns, us, ms, s, m or h, like \"30s\"";
    return "is longer than the longest duration, 1000000000s (about 31 years); give a shorter one, like \"10m\"";
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    double number = 0;
    std::string_view unit;
    if (!split_number(text, number, unit)) return std::nullopt;
    double scale = 0;
    if (unit.empty() || unit == "B") scale = 1;
    else if (unit == "KB" || unit == "kB") scale = 1e3;
    else if (unit == "MB") scale = 1e6;
    else if (unit == "GB") scale = 1e9;
    else if (unit == "KiB") scale = 1024.0;
    else if (unit == "MiB") scale = 1024.0 * 1024;
    else if (unit == "GiB") scale = 1024.0 * 1024 * 1024;
    else return std::nullopt;
    const double bytes = number * scale;
    if (!std::isfinite(bytes) || bytes > 1e18 || bytes != std::floor(bytes)) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
}

std::optional<sdk::option_values::value> parse_default(sdk::option_type type, std::string_view text) {
    using sdk::option_type;
    switch (type) {
        case option_type::boolean:
            if (text == "true") return sdk::option_values::value{true};
            if (text == "false") return sdk::option_values::value{false};
            return std::nullopt;
        case option_type::integer: {
            std::int64_t v = 0;
            if (!parse_whole(text, v)) return std::nullopt;
            return sdk::option_values::value{v};
        }
        case option_type::number: {
            double v = 0;
            if (!parse_whole(text, v)) return std::nullopt;
            return sdk::option_values::value{v};
        }
        case option_type::string: return sdk::option_values::value{std::string(text)};
        case option_type::duration:
            if (auto d = parse_duration(text)) return sdk::option_values::value{*d};
            return std::nullopt;
        case option_type::size:
            if (auto s = parse_size(text)) return sdk::option_values::value{*s};
            return std::nullopt;
        case option_type::string_list: {
            std::vector<std::string> items;
            for (auto item : comma_items(text)) items.emplace_back(item);
            return sdk::option_values::value{std::move(items)};
        }
        case option_type::integer_list:
        case option_type::number_list: {
            std::vector<std::int64_t> integers;
            std::vector<double> numbers;
            for (auto item : comma_items(text)) {
                std::int64_t i = 0;
                double d = 0;
                if (type == option_type::integer_list && parse_whole(item, i)) integers.push_back(i);
                else if (type == option_type::number_list && parse_whole(item, d)) numbers.push_back(d);
                else return std::nullopt;
            }
            if (type == option_type::integer_list) return sdk::option_values::value{std::move(integers)};
            return sdk::option_values::value{std::move(numbers)};
        }
        case option_type::table: {
            // Only "", meaning optional; the table's value is its fields' defaults (declared_defaults).
            if (!text.empty()) return std::nullopt;
            return sdk::option_values::value{std::make_shared<const sdk::option_values>()};
        }
        case option_type::table_list:
            if (!text.empty()) return std::nullopt;
            return sdk::option_values::value{std::vector<sdk::option_values>{}};
        case option_type::json: {
            if (trim(text).empty()) return sdk::option_values::value{std::string()};
            // Inline TOML, as a manifest would write it after "key = ".
            try {
                const toml::table parsed = toml::parse("value = " + std::string(text) + "\n");
                return sdk::option_values::value{json_text(*parsed.get("value"))};
            } catch (const toml::parse_error&) {
                return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

sdk::option_values declared_defaults(const sdk::option_spec* specs, std::size_t count, const std::string& path) {
    sdk::option_values values;
    values.set_path(path);
    for (std::size_t i = 0; i < count; ++i) {
        const auto& spec = specs[i];
        if (!spec.default_value || !spec.key) continue;
        const std::string key_path = values.key_path(spec.key);
        if (spec.type == sdk::option_type::table) {
            if (std::string_view(spec.default_value).empty())
                values.set_default(spec.key, std::make_shared<const sdk::option_values>(
                                                 declared_defaults(spec.fields, spec.field_count, key_path)));
        } else if (auto value = parse_default(spec.type, spec.default_value)) {
            values.set_default(spec.key, std::move(*value));
        }
    }
    return values;
}

std::optional<sdk::option_values::value> convert(sdk::option_type type, const toml::node& node,
                                                 std::string& problem) {
    using sdk::option_type;
    problem = found(node);
    switch (type) {
        case option_type::boolean:
            if (auto b = node.as_boolean()) return sdk::option_values::value{b->get()};
            return std::nullopt;
        case option_type::integer:
            if (auto i = node.as_integer()) return sdk::option_values::value{i->get()};
            return std::nullopt;
        case option_type::number:
            if (auto i = node.as_integer()) return sdk::option_values::value{static_cast<double>(i->get())};
            if (auto f = node.as_floating_point()) return sdk::option_values::value{f->get()};
            return std::nullopt;
        case option_type::string:
            if (auto s = node.as_string()) return sdk::option_values::value{s->get()};
            return std::nullopt;
        case option_type::duration:
            if (auto i = node.as_integer(); i && i->get() >= 0 && i->get() < 1'000'000'000)  // < 31 years
                return sdk::option_values::value{std::chrono::nanoseconds(i->get() * 1'000'000'000)};
            if (auto f = node.as_floating_point(); f && f->get() >= 0 && f->get() < 1e9)
                return sdk::option_values::value{std::chrono::nanoseconds(std::llround(f->get() * 1e9))};
            if (auto s = node.as_string()) {
                if (auto d = parse_duration(s->get())) return sdk::option_values::value{*d};
                double n = 0;
                std::string_view unit;
                if (split_number(s->get(), n, unit) && unit.empty())
                    problem = "found \"" + s->get() + "\" with no unit";
                else if (split_number(s->get(), n, unit) && parse_duration("1" + std::string(unit)))
                    problem = "found \"" + s->get() + "\", longer than the longest, 1000000000s (about 31 years)";
                else if (!trim(s->get()).empty() && trim(s->get()).front() == '-')
                    problem = "found \"" + s->get() + "\", which is negative";
            }
            return std::nullopt;
        case option_type::size:
            if (auto i = node.as_integer(); i && i->get() >= 0)
                return sdk::option_values::value{static_cast<std::uint64_t>(i->get())};
            if (auto s = node.as_string())
                if (auto n = parse_size(s->get())) return sdk::option_values::value{*n};
            return std::nullopt;
        case option_type::string_list:
            if (auto a = node.as_array()) {
                std::vector<std::string> items;
                for (const auto& element : *a) {
                    auto s = element.as_string();
                    if (!s) {
                        problem = "found an array holding " + found(element).substr(6);
                        return std::nullopt;
                    }
                    items.push_back(s->get());
                }
                return sdk::option_values::value{std::move(items)};
            }
            return std::nullopt;
        case option_type::integer_list: return numbers_of<std::int64_t>(node, problem);
        case option_type::number_list: return numbers_of<double>(node, problem);
        case option_type::table:
        case option_type::table_list:
            return std::nullopt;  // nested tables are read field by field (manifest/options.cpp)
        case option_type::json: return sdk::option_values::value{json_text(node)};
    }
    return std::nullopt;
}

namespace {

// The text a person would write for each kind of value.
struct text_visitor {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
        return std::string(buf, end);
    }
    std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
    std::string operator()(std::chrono::nanoseconds ns) const {
        const auto n = ns.count();
        if (n % 3'600'000'000'000 == 0 && n) return std::to_string(n / 3'600'000'000'000) + "h";
        if (n % 60'000'000'000 == 0 && n) return std::to_string(n / 60'000'000'000) + "m";
        if (n % 1'000'000'000 == 0) return std::to_string(n / 1'000'000'000) + "s";
        if (n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "ms";
        if (n % 1'000 == 0) return std::to_string(n / 1'000) + "us";
        return std::to_string(n) + "ns";
    }
    std::string operator()(std::uint64_t b) const {
        if (b && b % (1ull << 30) == 0) return std::to_string(b >> 30) + "GiB";
        if (b && b % (1ull << 20) == 0) return std::to_string(b >> 20) + "MiB";
        if (b && b % (1ull << 10) == 0) return std::to_string(b >> 10) + "KiB";
        return std::to_string(b) + "B";
    }
    std::string operator()(const std::vector<std::string>& list) const {
        std::string text = "[";
        for (std::size_t i = 0; i < list.size(); ++i) text += (i ? ", \"" : "\"") + list[i] + "\"";
        return text + "]";
    }
    template <typename T>
    std::string operator()(const std::vector<T>& list) const {
        std::string text = "[";
        for (std::size_t i = 0; i < list.size(); ++i) text += (i ? ", " : "") + (*this)(list[i]);
        return text + "]";
    }
    std::string operator()(const std::shared_ptr<const sdk::option_values>& table) const {
        std::string text = "{";
        for (const auto& [key, value] : table->all())
            text += (text.size() > 1 ? ", " : " ") + key + " = " + std::visit(*this, value);
        return text + (text.size() > 1 ? " }" : "}");
    }
    std::string operator()(const sdk::option_values& table) const {
        return (*this)(std::make_shared<const sdk::option_values>(table));
    }
};

}  // namespace

std::string to_text(const sdk::option_values::value& value) {
    return std::visit(text_visitor{}, value);
}

}  // namespace shootout::core
