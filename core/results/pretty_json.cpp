#include "pretty_json.h"

#include <cstdlib>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace shootout::core {

namespace {

namespace json = boost::json;

void pretty_into(std::string& out, const json::value& v, int depth) {
    const std::string indent(static_cast<std::size_t>(depth + 1) * 2, ' '), close(static_cast<std::size_t>(depth) * 2, ' ');
    if (v.is_object() && !v.get_object().empty()) {
        out += "{\n";
        bool first = true;
        for (const auto& [k, e] : v.get_object()) {
            out += (first ? "" : ",\n") + indent + json::serialize(json::string(k)) + ": ";
            pretty_into(out, e, depth + 1);
            first = false;
        }
        out += "\n" + close + "}";
    } else if (v.is_array() && !v.get_array().empty()) {
        out += "[\n";
        bool first = true;
        for (const auto& e : v.get_array()) {
            out += (first ? "" : ",\n") + indent;
            pretty_into(out, e, depth + 1);
            first = false;
        }
        out += "\n" + close + "]";
    } else if (v.is_double()) {
        // Seven significant digits, then the shortest form of that: "10050.5", not "1.00505E4", and
        // a CPU % of 93.8 rather than 93.80000000000001. Seven digits keep every figure here
        // (req/s up to millions, latencies in ms to the µs, error rates) exact to what was measured.
        out += fmt::format("{}", std::strtod(fmt::format("{:.7g}", v.get_double()).c_str(), nullptr));  // strtod: no throw on tiny values
    } else {
        out += json::serialize(v);
    }
}

}  // namespace

std::string pretty_json(const json::value& v) {
    std::string out;
    pretty_into(out, v, 0);
    return out;
}

}  // namespace shootout::core
