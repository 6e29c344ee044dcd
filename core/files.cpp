#include "files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <fmt/format.h>

namespace shootout::core {

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
    auto temporary = path;
    temporary += fmt::format(".tmp.{}", ::getpid());
    // A failure names the file asked for and removes the temporary; the file as it was before
    // (a result written earlier) stays whole, since only a complete temporary replaces it.
    auto fail = [&](const std::string& why) {
        ::unlink(temporary.c_str());
        throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), why));
    };
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(std::strerror(errno));
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            fail(std::strerror(error));
        }
        done += static_cast<std::size_t>(n);
    }
    // close() reports what the file system could not store (a full disk on NFS, say).
    if (::close(fd) != 0) fail(std::strerror(errno));
    if (::rename(temporary.c_str(), path.c_str()) != 0) fail(std::strerror(errno));
}

std::string utc_now(const char* strftime_format) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, strftime_format, &tm);
    return buf;
}

}  // namespace shootout::core
