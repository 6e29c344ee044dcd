#include "bounded_read.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace shootout::core {

std::string size_text(std::uintmax_t bytes) {
    constexpr std::uintmax_t mib = 1024 * 1024;
    if (bytes >= mib && bytes % mib == 0) return fmt::format("{} MiB", bytes / mib);
    return fmt::format("{} bytes", bytes);
}

std::string read_bounded(const std::filesystem::path& file, std::uintmax_t limit) {
    std::error_code ec;
    const bool regular = std::filesystem::is_regular_file(file, ec);
    if (regular) {
        const auto size = std::filesystem::file_size(file, ec);
        if (!ec && size > limit)
            throw file_read_error(file, fmt::format("it is {} bytes, more than the limit of {}", size, size_text(limit)), true);
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) throw file_read_error(file, std::strerror(errno), false);
    // In chunks, so that a small file costs little whatever the limit.
    std::string text;
    char chunk[64 * 1024];
    while (text.size() <= limit && in.read(chunk, sizeof chunk).gcount() > 0)
        text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (in.bad()) throw file_read_error(file, std::strerror(errno), false);
    if (text.size() > limit)
        throw file_read_error(file, fmt::format("it holds more than the limit of {}{}", size_text(limit),
                                                regular ? "" : " (it is not a regular file)"),
                              true);
    return text;
}

}  // namespace shootout::core
