// Folded stacks, the one format every profiler's output is turned into: one line per distinct
// stack, frames from the root to the leaf separated by ';', then a space and a sample count
// ("main;serve;handle 42"). The flamegraph reporter reads it back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <istream>
#include <map>
#include <string>

namespace shootout::core::observe {

/// Stack -> samples. Ordered, so writing it is deterministic.
using folded_stacks = std::map<std::string, std::uint64_t>;

/// Adds the stacks of a folded text to `into`. Lines that are not "stack count" are skipped
/// (returned as the number of lines skipped), so a truncated file still gives what it holds.
std::size_t add_folded(std::istream& in, folded_stacks& into);

/// Reads a folded file (throws std::runtime_error naming the file if it cannot be opened).
folded_stacks read_folded(const std::filesystem::path& file);

/// Writes stacks sorted by stack, atomically.
void write_folded(const std::filesystem::path& file, const folded_stacks& stacks);

std::uint64_t total_samples(const folded_stacks& stacks);

/// Folds the text of `perf script` (perf record -g): one sample per block of a header line
/// ("comm pid time: period event:") and its frames, leaf first, each "addr symbol+0xoff (dso)".
/// The stack becomes "comm;outermost;...;leaf", offsets dropped, an unknown symbol shown as its
/// library's file name in brackets ("[libc.so.6]") or "[unknown]".
folded_stacks fold_perf_script(std::istream& in);

}  // namespace shootout::core::observe
