// Reading a file that should be small (a manifest, a raw result) without trusting it to be:
// `--config /dev/zero` or a huge file must be refused, not read until memory runs out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace shootout::core {

/// Thrown by read_bounded. what() is "<file>: <detail>"; detail() says what is wrong without
/// the file's name ("it is 5242881 bytes, more than the limit of 4 MiB", or strerror's text).
class file_read_error : public std::runtime_error {
public:
    file_read_error(const std::filesystem::path& file, std::string detail, bool too_large)
        : std::runtime_error(file.string() + ": " + detail), detail_(std::move(detail)), too_large_(too_large) {}
    const std::string& detail() const noexcept { return detail_; }
    bool too_large() const noexcept { return too_large_; }  ///< false: it could not be read at all

private:
    std::string detail_;
    bool too_large_;
};

/// The bytes of `file` if it holds at most `limit` bytes: a regular file is judged by its size
/// before anything is read, anything else (a FIFO, /dev/zero) by reading at most limit + 1 bytes.
/// Throws file_read_error beyond the limit or if it cannot be read (with strerror).
std::string read_bounded(const std::filesystem::path& file, std::uintmax_t limit);

/// "4 MiB" for whole mebibytes, "1234 bytes" otherwise.
std::string size_text(std::uintmax_t bytes);

}  // namespace shootout::core
