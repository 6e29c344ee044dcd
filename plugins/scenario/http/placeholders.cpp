#include "placeholders.h"

#include <charconv>

namespace shootout::http_scenario {
namespace {

constexpr unsigned max_width = 18;  // 10^18 fits in 64 bits with room to add
constexpr std::uint64_t below_limit = 1'000'000'000'000'000'000ull;  // 10^18

bool whole(std::string_view text, std::uint64_t& value) {
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size();
}

unsigned digits_of(std::uint64_t n) {
    unsigned d = 1;
    while (n >= 10) n /= 10, ++d;
    return d;
}

// One placeholder, `inner` being what its braces hold ("seq:6", "rand:1:1000").
std::string parse_one(std::string_view inner, placeholder& p) {
    const std::string shown = "'{" + std::string(inner) + "}'";
    if (inner.rfind("seq", 0) == 0) {
        std::uint64_t width = 0;
        if (inner.size() < 5 || inner[3] != ':' || !whole(inner.substr(4), width) || width < 1 || width > max_width)
            return shown + " is not a placeholder: write {seq:W}, W the digits to send (1 to 18), like {seq:6}";
        p.what = placeholder::kind::seq;
        p.width = static_cast<unsigned>(width);
        return {};
    }
    const std::string_view range = inner.size() > 5 && inner[4] == ':' ? inner.substr(5) : std::string_view{};
    const auto colon = range.find(':');
    std::uint64_t low = 0, high = 0;
    if (colon == std::string_view::npos || !whole(range.substr(0, colon), low) || !whole(range.substr(colon + 1), high))
        return shown + " is not a placeholder: write {rand:A:B}, A and B the smallest and largest value, like {rand:1:1000}";
    if (low > high) return shown + ": the smallest value is larger than the largest; write {rand:A:B} with A <= B";
    if (high >= below_limit) return shown + ": the largest value must be below 10^18 (18 digits)";
    p.what = placeholder::kind::rand;
    p.low = low;
    p.high = high;
    p.width = digits_of(high);
    return {};
}

}  // namespace

void templated::append(const templated& other) {
    for (placeholder p : other.fields) {
        p.offset += text.size();
        fields.push_back(p);
    }
    text.append(other.text);
}

bool templated::has(placeholder::kind what) const {
    for (const auto& p : fields)
        if (p.what == what) return true;
    return false;
}

std::string parse_template(std::string_view source, templated& out) {
    out = {};
    std::size_t from = 0;
    for (;;) {
        const auto open = source.find('{', from);
        const bool named = open != std::string_view::npos &&
                           (source.substr(open + 1, 3) == "seq" || source.substr(open + 1, 4) == "rand");
        if (!named) {
            if (open == std::string_view::npos) {
                out.text.append(source.substr(from));
                return {};
            }
            out.text.append(source.substr(from, open + 1 - from));  // a literal brace
            from = open + 1;
            continue;
        }
        out.text.append(source.substr(from, open - from));
        const auto close = source.find('}', open);
        if (close == std::string_view::npos)
            return "'" + std::string(source.substr(open, 12)) + "' is not closed: end the placeholder with '}'";
        placeholder p;
        if (auto problem = parse_one(source.substr(open + 1, close - open - 1), p); !problem.empty()) return problem;
        p.offset = out.text.size();
        out.text.append(p.width, '0');
        out.fields.push_back(p);
        from = close + 1;
    }
}

}  // namespace shootout::http_scenario
