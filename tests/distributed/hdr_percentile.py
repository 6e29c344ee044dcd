"""Percentiles of a shootout histogram from its sparse buckets, written from HdrHistogram's
definition and not from shootout's code: the independent check of a merge's figures.

A layout of `significant_digits` d has 2**ceil(log2(2 * 10**d)) sub-buckets per bucket; index i
holds the values [v, v + 2**b) where b = (i >> (m - 1)) - 1 and v = ((i mod 2**(m-1)) + 2**(m-1)) << b
(the first bucket, b < 0, keeps its lower half: v = i). A percentile p is the highest value
equivalent to the ceil(p / 100 * total)-th smallest recorded value (p taken one ulp lower, as the
reference implementation does), capped at the recorded maximum."""
import math


def bucket_range(index, significant_digits):
    magnitude = math.ceil(math.log2(2 * 10 ** significant_digits))
    half = 1 << (magnitude - 1)
    bucket = (index >> (magnitude - 1)) - 1
    sub = (index & (half - 1)) + half
    if bucket < 0:
        sub -= half
        bucket = 0
    low = sub << bucket
    return low, low + (1 << bucket) - 1


def percentile(histogram, p):
    """`histogram`: a raw result's histogram object (buckets, count, max, significant_digits)."""
    total = sum(count for _, count in histogram["buckets"])
    if total == 0:
        return 0
    wanted = max(1, math.ceil(math.nextafter(p, 0.0) * total / 100.0))
    seen = 0
    for index, count in sorted(histogram["buckets"]):
        seen += count
        if seen >= wanted:
            return min(bucket_range(index, histogram["significant_digits"])[1], histogram["max"])
    return histogram["max"]
