// Fuzz target: reading one raw-result document (core/results_json.h), as `shootout report` reads
// every file of a run: Boost.JSON parses the text, measurement_from_json reads the document. A
// document that is not one must be refused with a raw_result_error that says why (any other
// exception escapes and is reported as a finding). A document that is read must write back and
// read again to the same thing: the codec claims to be lossless.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json.hpp>

#include "results/raw_json.h"

namespace json = boost::json;
using namespace shootout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boost::system::error_code ec;
    const json::value doc = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec) return 0;
    core::raw_result first;
    try {
        first = core::measurement_from_json(doc);
    } catch (const core::raw_result_error&) {
        return 0;  // refused, with a reason: what a strict reader should do
    }
    // Version 1 documents are read unchecked (hand-made ones disagree with their own counts), so
    // one whose figures disagree would be written as a version 2 document the reader refuses, as
    // it should: the codec is lossless for what it checks (fuzz/crashes/raw_result_json-v1-unchecked).
    if (doc.is_object() && doc.as_object().contains("schema_version") && doc.at("schema_version") == 1) {
        try {
            core::check_consistency(first.measurement);
        } catch (const core::raw_result_error&) {
            return 0;
        }
    }
    const json::value written = core::measurement_to_json(first.measurement, first.environment);
    const core::raw_result second = core::measurement_from_json(written);  // must not throw
    if (core::measurement_to_json(second.measurement, second.environment) != written) std::abort();  // not lossless
    return 0;
}
