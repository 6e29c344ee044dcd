// A High Dynamic Range histogram (after Gil Tene's HdrHistogram), written for shootout.
//
// Records integer values (shootout records microseconds) from 1 up to a configured maximum with
// a fixed number of significant decimal digits: with 3 digits, any value is stored within 0.1 %
// of itself. Recording is a few shifts and an increment, never an allocation, so every latency
// can be recorded. Histograms with the same configuration merge exactly by adding counts, which
// is how per-thread and per-run histograms combine: percentiles are never averaged.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace shootout::sdk {

class histogram {
public:
    /// The default layout: 1 µs to 1 hour at 3 significant digits (about 190 KB of counts). Not
    /// explicit, so that an aggregate holding histograms (sdk::measurement) can be made with `{}`
    /// (an explicit default constructor makes `sdk::measurement{}` ill-formed; clang refuses it).
    histogram() : histogram(3'600'000'000, 3) {}
    /// Values are clamped to [1, highest]; digits is 1 to 5.
    explicit histogram(std::int64_t highest, int significant_digits = 3)
        : highest_(highest), digits_(significant_digits) {
        if (highest < 2) throw std::invalid_argument("histogram: highest must be at least 2");
        if (significant_digits < 1 || significant_digits > 5)
            throw std::invalid_argument("histogram: significant digits must be 1 to 5");
        const std::int64_t largest_single_unit = 2 * static_cast<std::int64_t>(std::pow(10, digits_));
        const int sub_bucket_count_magnitude =
            static_cast<int>(std::ceil(std::log2(static_cast<double>(largest_single_unit))));
        sub_bucket_half_count_magnitude_ = std::max(sub_bucket_count_magnitude, 1) - 1;
        sub_bucket_count_ = std::int64_t{1} << (sub_bucket_half_count_magnitude_ + 1);
        sub_bucket_half_count_ = sub_bucket_count_ / 2;
        sub_bucket_mask_ = sub_bucket_count_ - 1;
        std::int64_t smallest_untrackable = sub_bucket_count_;
        int buckets = 1;
        while (smallest_untrackable <= highest_) {
            if (smallest_untrackable > INT64_MAX / 2) { ++buckets; break; }
            smallest_untrackable <<= 1;
            ++buckets;
        }
        bucket_count_ = buckets;
        counts_.assign(static_cast<std::size_t>((bucket_count_ + 1) * sub_bucket_half_count_), 0);
    }

    /// Records one occurrence of `value`. Values below 1 count as 1, above highest() as highest().
    void record(std::int64_t value) noexcept { record(value, 1); }

    void record(std::int64_t value, std::uint64_t count) noexcept {
        if (value < 1) value = 1;
        if (value > highest_) { value = highest_; clamped_ += count; }
        counts_[index_of(value)] += count;
        total_ += count;
        if (value < min_) min_ = value;
        if (value > max_) max_ = value;
    }

    /// Adds every count of `other`, which must have the same configuration.
    void merge(const histogram& other) {
        if (!same_layout(other))
            throw std::invalid_argument("histogram: cannot merge histograms of different layouts");
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
        total_ += other.total_;
        clamped_ += other.clamped_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }

    void reset() noexcept {
        std::fill(counts_.begin(), counts_.end(), 0);
        total_ = clamped_ = 0;
        min_ = INT64_MAX;
        max_ = 0;
    }

    std::uint64_t count() const noexcept { return total_; }
    /// How many recorded values were above highest() and recorded as highest().
    std::uint64_t clamped() const noexcept { return clamped_; }
    std::int64_t min() const noexcept { return total_ ? min_ : 0; }
    std::int64_t max() const noexcept { return total_ ? max_ : 0; }
    std::int64_t highest() const noexcept { return highest_; }
    int significant_digits() const noexcept { return digits_; }

    /// The value at percentile `p` (0 to 100): the highest value equivalent to the recorded value
    /// below which p % of all values fall, as HdrHistogram reports it. 0 when empty.
    std::int64_t value_at_percentile(double p) const noexcept {
        if (total_ == 0) return 0;
        // As HdrHistogram's reference implementation does: one ulp below the percentile, and the
        // product before the division, so that 99.9 % of 3000 is the 2997th value, not the
        // 2998th that 99.9 / 100 · 3000 = 2997.0000000000005 would round up to.
        p = std::clamp(std::nextafter(p, 0.0), 0.0, 100.0);
        auto wanted = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(total_) / 100.0));
        wanted = std::max<std::uint64_t>(wanted, 1);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= wanted)
                return std::min(highest_equivalent(value_at_index(i)), max_);
        }
        return max_;
    }

    double mean() const noexcept {
        if (total_ == 0) return 0;
        long double sum = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i)
            if (counts_[i]) sum += static_cast<long double>(counts_[i]) * median_equivalent(value_at_index(i));
        return static_cast<double>(sum / total_);
    }

    double stddev() const noexcept {
        if (total_ == 0) return 0;
        const double m = mean();
        long double sum = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i)
            if (counts_[i]) {
                const double d = static_cast<double>(median_equivalent(value_at_index(i))) - m;
                sum += static_cast<long double>(counts_[i]) * d * d;
            }
        return std::sqrt(static_cast<double>(sum / total_));
    }

    /// Calls f(lowest_value, highest_value, count) for every non-empty bucket, lowest first.
    template <typename F>
    void for_each_bucket(F&& f) const {
        for (std::size_t i = 0; i < counts_.size(); ++i)
            if (counts_[i]) {
                const std::int64_t v = value_at_index(i);
                f(lowest_equivalent(v), highest_equivalent(v), counts_[i]);
            }
    }

    /// Raw access for serialisation: the counts array and an index's representative value.
    const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
    /// Adds `count` at counts-array position `index` (the inverse of counts()); false if out of range.
    bool add_at_index(std::size_t index, std::uint64_t count) noexcept {
        if (index >= counts_.size() || count == 0) return index < counts_.size();
        counts_[index] += count;
        total_ += count;
        const std::int64_t v = value_at_index(index);
        min_ = std::min(min_, lowest_equivalent(v));
        max_ = std::max(max_, std::min(highest_equivalent(v), highest_));
        return true;
    }
    /// The non-empty counts as (index, count), lowest index first: a second's few hundred
    /// buckets rather than the layout's tens of thousands. add_sparse() is its inverse.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> sparse() const {
        std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
        for (std::size_t i = 0; i < counts_.size(); ++i)
            if (counts_[i]) out.emplace_back(static_cast<std::uint32_t>(i), counts_[i]);
        return out;
    }
    /// Adds sparse counts of this layout; false (and nothing added) if an index is out of range.
    bool add_sparse(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& buckets) noexcept {
        for (const auto& b : buckets)
            if (b.first >= counts_.size()) return false;
        for (const auto& [index, count] : buckets) add_at_index(index, count);
        return true;
    }
    void add_clamped(std::uint64_t n) noexcept { clamped_ += n; }
    /// Restores the exact extremes stored beside serialised counts (the counts alone only know
    /// them to within their buckets). Ignored for an empty histogram or values outside the buckets.
    void restore_extremes(std::int64_t min, std::int64_t max) noexcept {
        if (total_ == 0 || min > max) return;
        if (lowest_equivalent(min) == min_) min_ = min;
        if (lowest_equivalent(max) == lowest_equivalent(max_)) max_ = max;
    }

    /// The range of values that share `value`'s bucket: every one of them is stored as the same.
    std::int64_t lowest_equivalent(std::int64_t value) const noexcept {
        const int b = bucket_index(value);
        return static_cast<std::int64_t>(sub_bucket_index(value, b)) << b;
    }
    std::int64_t highest_equivalent(std::int64_t value) const noexcept {
        return lowest_equivalent(value) + equivalent_range(value) - 1;
    }
    std::int64_t median_equivalent(std::int64_t value) const noexcept {
        return lowest_equivalent(value) + (equivalent_range(value) >> 1);
    }

    bool same_layout(const histogram& other) const noexcept {
        return highest_ == other.highest_ && digits_ == other.digits_;
    }

private:
    int bucket_index(std::int64_t value) const noexcept {
        const int pow2_ceiling = 64 - std::countl_zero(static_cast<std::uint64_t>(value | sub_bucket_mask_));
        return pow2_ceiling - (sub_bucket_half_count_magnitude_ + 1);
    }
    std::int64_t sub_bucket_index(std::int64_t value, int bucket) const noexcept {
        return value >> bucket;
    }
    std::size_t index_of(std::int64_t value) const noexcept {
        const int b = bucket_index(value);
        const std::int64_t sb = sub_bucket_index(value, b);
        return static_cast<std::size_t>(((static_cast<std::int64_t>(b) + 1) << sub_bucket_half_count_magnitude_) +
                                        (sb - sub_bucket_half_count_));
    }
    std::int64_t value_at_index(std::size_t index) const noexcept {
        auto b = static_cast<std::int64_t>(index >> sub_bucket_half_count_magnitude_) - 1;
        std::int64_t sb = static_cast<std::int64_t>(index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
        if (b < 0) { sb -= sub_bucket_half_count_; b = 0; }
        return sb << b;
    }
    std::int64_t equivalent_range(std::int64_t value) const noexcept {
        const int b = bucket_index(value);
        const std::int64_t sb = sub_bucket_index(value, b);
        return std::int64_t{1} << (b + (sb >= sub_bucket_count_ ? 1 : 0));
    }

    std::int64_t highest_;
    int digits_;
    int sub_bucket_half_count_magnitude_ = 0;
    std::int64_t sub_bucket_count_ = 0;
    std::int64_t sub_bucket_half_count_ = 0;
    std::int64_t sub_bucket_mask_ = 0;
    int bucket_count_ = 0;
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    std::uint64_t clamped_ = 0;
    std::int64_t min_ = INT64_MAX;
    std::int64_t max_ = 0;
};

}  // namespace shootout::sdk
