#include "printable.h"

#include <fmt/format.h>

namespace shootout::core {
namespace {

// The length of the valid UTF-8 sequence at the start of `s` (RFC 3629, table 3-7 of Unicode),
// or 0 if it does not start with one.
std::size_t utf8_sequence_length(std::string_view s) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) length = 2;
    else if (lead == 0xE0) { length = 3; low = 0xA0; }            // no overlong forms
    else if (lead >= 0xE1 && lead <= 0xEC) length = 3;
    else if (lead == 0xED) { length = 3; high = 0x9F; }           // no surrogates
    else if (lead >= 0xEE && lead <= 0xEF) length = 3;
    else if (lead == 0xF0) { length = 4; low = 0x90; }            // no overlong forms
    else if (lead >= 0xF1 && lead <= 0xF3) length = 4;
    else if (lead == 0xF4) { length = 4; high = 0x8F; }           // nothing above U+10FFFF
    else return 0;                                                 // C0, C1, F5..FF, continuation bytes
    if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    return length;
}

bool is_control(std::string_view sequence) {
    const auto lead = static_cast<unsigned char>(sequence[0]);
    if (sequence.size() == 1) return lead < 0x20 || lead == 0x7F;
    return lead == 0xC2 && static_cast<unsigned char>(sequence[1]) < 0xA0;  // U+0080 to U+009F
}

void escape_bytes(std::string& out, std::string_view bytes) {
    for (char c : bytes) out += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));
}

void clean(std::string& s) { s = printable(s); }

}  // namespace

std::string printable(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    while (!bytes.empty()) {
        const std::size_t length = utf8_sequence_length(bytes);
        if (length == 0) {
            escape_bytes(out, bytes.substr(0, 1));
            bytes.remove_prefix(1);
            continue;
        }
        const auto sequence = bytes.substr(0, length);
        if (is_control(sequence)) escape_bytes(out, sequence);
        else out += sequence;
        bytes.remove_prefix(length);
    }
    return out;
}

void make_printable(sdk::measurement& m) {
    for (auto* s : {&m.framework, &m.scenario, &m.pattern, &m.reason}) clean(*s);
    for (auto& w : m.warnings) clean(w);
    for (auto& p : m.phases) clean(p.name);
    for (auto& r : m.requests) clean(r.label);
    if (m.profile) {
        clean(m.profile->profiler);
        clean(m.profile->folded_path);
    }
    clean(m.placement.server_cpus);
    clean(m.placement.generator_cpus);
}

void make_printable(sdk::environment& e) {
    for (auto* s : {&e.shootout_version, &e.build_type, &e.cpu_model, &e.kernel, &e.hostname, &e.manifest_path,
                    &e.manifest_sha256, &e.started_at, &e.finished_at})
        clean(*s);
    decltype(e.framework_versions) versions;
    for (auto& [k, v] : e.framework_versions) versions[printable(k)] = printable(v);
    e.framework_versions = std::move(versions);
}

}  // namespace shootout::core
