// Files a run writes: whole or not at all, and the clock they are stamped with.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace shootout::core {

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so a
/// reader (or an interrupted run) sees either the old file or the whole new one.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

/// Current UTC time in a strftime format; by default ISO-8601 ("2026-11-28T07:38:51Z").
std::string utc_now(const char* strftime_format = "%Y-%m-%dT%H:%M:%SZ");

}  // namespace shootout::core
