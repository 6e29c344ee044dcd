// HdrHistogram's V2 wire format, so other tools read shootout's histograms: HistogramLogAnalyzer,
// HdrLogProcessing, hdr-plot, and every HdrHistogram library (Java, C, Go, Python, JS).
//
// The layout of sdk::histogram is HdrHistogram's with a lowest discernible value of 1, so its
// counts array is the one the format carries, index for index. The format (HdrHistogram's
// AbstractHistogram.encodeIntoByteBuffer and the Python codec, hdrh/codec.py):
//   payload header, big-endian: cookie 0x1c849313 (u32), payload length (u32), normalizing
//   index offset 0 (u32), significant digits (u32), lowest 1 (u64), highest (u64), integer to
//   double ratio 1.0 (f64); then the counts up to the maximum's index as ZigZag LEB128 varints,
//   a run of n empty counts written as -n;
//   compressed: cookie 0x1c849314 (u32), the zlib-compressed payload's length (u32), the
//   compressed payload. Logs carry that as base64.
#pragma once

#include <string>
#include <string_view>

#include <shootout/sdk/histogram.h>

namespace shootout::reporters::hdr {

/// The uncompressed V2 payload (header and counts).
std::string encode_payload(const sdk::histogram& h);
/// The compressed V2 form (what "HISTF…" base64 strings decode to).
std::string encode_compressed(const sdk::histogram& h);
/// Standard base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

}  // namespace shootout::reporters::hdr
