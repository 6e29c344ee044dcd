#include "hdr_encoding.h"

#include <zlib.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <openssl/evp.h>

namespace shootout::reporters::hdr {
namespace {

constexpr std::uint32_t encoding_cookie = 0x1c849303u | 0x10u;     // V2, TLZE (zero runs) encoding
constexpr std::uint32_t compression_cookie = 0x1c849304u | 0x10u;  // V2, zlib

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// HdrHistogram's ZigZag LEB128: seven bits a byte, low first, at most nine bytes (the ninth
// carries the last eight bits whole).
void put_varint(std::string& out, std::int64_t value) {
    auto v = (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
    for (int i = 0; i < 8; ++i) {
        if (v < 0x80) {
            out.push_back(static_cast<char>(v));
            return;
        }
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v & 0xff));
}

// The counts up to the maximum's index (the format's "relevant length"), zero runs as -n.
std::string encode_counts(const sdk::histogram& h) {
    std::string out;
    if (h.count() == 0) return out;
    const auto& counts = h.counts();
    std::size_t relevant = counts.size();
    while (relevant > 0 && counts[relevant - 1] == 0) --relevant;
    for (std::size_t i = 0; i < relevant;) {
        if (counts[i] == 0) {
            std::size_t run = 0;
            while (i < relevant && counts[i] == 0) ++run, ++i;
            put_varint(out, run == 1 ? 0 : -static_cast<std::int64_t>(run));
            continue;
        }
        put_varint(out, static_cast<std::int64_t>(counts[i]));
        ++i;
    }
    return out;
}

}  // namespace

std::string encode_payload(const sdk::histogram& h) {
    const std::string counts = encode_counts(h);
    std::string out;
    put_u32(out, encoding_cookie);
    put_u32(out, static_cast<std::uint32_t>(counts.size()));
    put_u32(out, 0);  // normalizing index offset
    put_u32(out, static_cast<std::uint32_t>(h.significant_digits()));
    put_u64(out, 1);  // lowest discernible value
    put_u64(out, static_cast<std::uint64_t>(h.highest()));
    put_u64(out, std::bit_cast<std::uint64_t>(1.0));  // integer to double conversion ratio
    return out + counts;
}

std::string encode_compressed(const sdk::histogram& h) {
    const std::string payload = encode_payload(h);
    uLongf size = compressBound(static_cast<uLong>(payload.size()));
    std::string compressed(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &size, reinterpret_cast<const Bytef*>(payload.data()),
                  static_cast<uLong>(payload.size()), Z_DEFAULT_COMPRESSION) != Z_OK)
        throw std::runtime_error("zlib could not compress a histogram");
    compressed.resize(size);
    std::string out;
    put_u32(out, compression_cookie);
    put_u32(out, static_cast<std::uint32_t>(compressed.size()));
    return out + compressed;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

}  // namespace shootout::reporters::hdr
