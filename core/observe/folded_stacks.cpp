#include "folded_stacks.h"

#include <charconv>
#include <cstring>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "printable.h"
#include "files.h"

namespace shootout::core::observe {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// "ffffffff816396d5 __alloc_pages+0x5 ([kernel.kallsyms])" -> "__alloc_pages"
std::string perf_frame_name(std::string_view line) {
    line = trim(line);
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return "[unknown]";
    std::string_view rest = trim(line.substr(space + 1));
    std::string_view dso;
    if (const auto open = rest.rfind(" ("); open != std::string_view::npos && rest.back() == ')') {
        dso = rest.substr(open + 2, rest.size() - open - 3);
        rest = trim(rest.substr(0, open));
    } else if (!rest.empty() && rest.front() == '(' && rest.back() == ')') {
        dso = rest.substr(1, rest.size() - 2);
        rest = {};
    }
    if (const auto plus = rest.rfind("+0x"); plus != std::string_view::npos) rest = rest.substr(0, plus);
    if (rest.empty() || rest == "[unknown]") {
        if (dso.empty() || dso == "[unknown]") return "[unknown]";
        const auto slash = dso.rfind('/');
        const auto file = slash == std::string_view::npos ? dso : dso.substr(slash + 1);
        return file.front() == '[' ? std::string(file) : fmt::format("[{}]", file);
    }
    std::string name(rest);
    for (char& c : name)
        if (c == ';' || c == ' ') c = '_';  // the separators of the folded format
    return name;
}

}  // namespace

std::size_t add_folded(std::istream& in, folded_stacks& into) {
    std::size_t skipped = 0;
    for (std::string line; std::getline(in, line);) {
        const std::string_view text = trim(line);
        if (text.empty()) continue;
        const auto space = text.rfind(' ');
        std::uint64_t count = 0;
        if (space == std::string_view::npos || space == 0 ||
            std::from_chars(text.data() + space + 1, text.data() + text.size(), count).ptr != text.data() + text.size()) {
            ++skipped;
            continue;
        }
        if (count) into[std::string(trim(text.substr(0, space)))] += count;
    }
    return skipped;
}

folded_stacks read_folded(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    folded_stacks stacks;
    add_folded(in, stacks);
    return stacks;
}

void write_folded(const std::filesystem::path& file, const folded_stacks& stacks) {
    std::string text;
    // Frame names come from the server's code (perf's symbols are any bytes): printable, they
    // cannot break a line of this file or the flamegraph's SVG.
    for (const auto& [stack, count] : stacks) text += fmt::format("{} {}\n", printable(stack), count);
    write_file_atomically(file, text);
}

std::uint64_t total_samples(const folded_stacks& stacks) {
    std::uint64_t n = 0;
    for (const auto& [stack, count] : stacks) n += count;
    return n;
}

folded_stacks fold_perf_script(std::istream& in) {
    folded_stacks stacks;
    std::string comm;
    std::vector<std::string> frames;  // leaf first, as perf prints them
    bool in_sample = false;
    auto finish = [&] {
        if (in_sample) {
            std::string stack = comm;
            for (auto it = frames.rbegin(); it != frames.rend(); ++it) stack += ";" + *it;
            ++stacks[stack];
        }
        in_sample = false;
        frames.clear();
    };
    for (std::string line; std::getline(in, line);) {
        if (trim(line).empty()) {
            finish();
            continue;
        }
        if (line.front() == '#') continue;  // perf's header comments
        if (line.front() != ' ' && line.front() != '\t') {
            finish();
            // "comm pid [cpu] time: period event:" -- the command may hold spaces, the pid is the
            // first all-digit field (with an optional "/tid").
            std::string_view header = line;
            std::size_t at = 0, comm_end = std::string_view::npos;
            while (at < header.size()) {
                const auto next = header.find(' ', at);
                const auto field = header.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
                const auto digits = field.substr(0, field.find('/'));
                if (at > 0 && !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos) {
                    comm_end = at - 1;
                    break;
                }
                if (next == std::string_view::npos) break;
                at = next + 1;
                while (at < header.size() && header[at] == ' ') ++at;
            }
            comm = std::string(trim(header.substr(0, comm_end)));
            for (char& c : comm)
                if (c == ';' || c == ' ') c = '_';
            in_sample = true;
            continue;
        }
        if (in_sample) frames.push_back(perf_frame_name(line));
    }
    finish();
    return stacks;
}

}  // namespace shootout::core::observe
