// Fixed-width placeholders in a request: {seq:W} and {rand:A:B}. A template is parsed once into
// text with each placeholder's digits zeroed and the places of those digits; a request then
// only overwrites digits in place, so its length never changes and nothing is formatted.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shootout::http_scenario {

struct placeholder {
    enum class kind { seq, rand };
    kind what = kind::seq;
    std::size_t offset = 0;  ///< of its first digit in the text
    unsigned width = 0;      ///< digits
    std::uint64_t low = 0, high = 0;  ///< rand: the range, inclusive
};

/// Text with placeholders in it, their digits zeroed.
struct templated {
    std::string text;
    std::vector<placeholder> fields;

    void append(std::string_view literal) { text.append(literal); }
    void append(const templated& other);
    bool has(placeholder::kind what) const;
};

/// Parses `source` ("/user/{seq:6}/info"); braces that do not start "{seq" or "{rand" are
/// literal. Returns what is wrong ("" when fine), naming the placeholder and the fix.
std::string parse_template(std::string_view source, templated& out);

/// Writes `value` as exactly `width` decimal digits at `at` (modulo 10^width).
inline void write_digits(char* at, unsigned width, std::uint64_t value) noexcept {
    for (unsigned i = width; i-- > 0;) {
        at[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

/// An integer from `low` to `high` inclusive, uniformly (rejection, so no modulo bias), from a
/// generator whose sequence the standard fixes: the same seed gives the same draws everywhere.
inline std::uint64_t draw(std::mt19937_64& rng, std::uint64_t low, std::uint64_t high) noexcept {
    const std::uint64_t span = high - low + 1;  // high < 10^18, so no overflow
    const std::uint64_t threshold = (0 - span) % span;  // 2^64 mod span: below it, values repeat once more
    for (;;)
        if (const std::uint64_t r = rng(); r >= threshold) return low + r % span;
}

}  // namespace shootout::http_scenario
