// What a server sends (any bytes) reaches messages, raw results and reports only as printable,
// valid UTF-8, and a server that sends bad bytes never stops the run.
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "printable.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
namespace fs = std::filesystem;
using namespace std::string_literals;

namespace {

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The reason and the warnings of a raw result, as one text.
std::string messages_of(const boost::json::object& doc) {
    std::string text(doc.at("reason").as_string());
    for (const auto& w : doc.at("warnings").as_array()) text += "\n" + std::string(w.as_string());
    return text;
}

}  // namespace

TEST_CASE("printable: valid UTF-8 stays, every invalid byte and control character becomes a visible hex escape", "[core][printable]") {
    CHECK(core::printable("pong, héllo ✓ 𝄞 <b>&") == "pong, héllo ✓ 𝄞 <b>&");
    CHECK(core::printable("") == "");
    CHECK(core::printable("\xC0\xAF") == "\\xC0\\xAF");                  // overlong '/'
    CHECK(core::printable("\xE0\x80\xAF") == "\\xE0\\x80\\xAF");        // overlong, three bytes
    CHECK(core::printable("\xF0\x80\x80\xAF") == "\\xF0\\x80\\x80\\xAF");  // overlong, four bytes
    CHECK(core::printable("a\x80z") == "a\\x80z");                      // a lone continuation byte
    CHECK(core::printable("\xED\xA0\x80") == "\\xED\\xA0\\x80");        // a UTF-16 surrogate
    CHECK(core::printable("\xF4\x90\x80\x80") == "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
    CHECK(core::printable("\xE2\x82") == "\\xE2\\x82");                 // truncated at the end
    CHECK(core::printable("\xE2\x82z") == "\\xE2\\x82z");               // truncated before ASCII
    CHECK(core::printable("\xFF\xFE") == "\\xFF\\xFE");
    CHECK(core::printable("a\0b"s) == "a\\x00b");                       // NUL
    CHECK(core::printable("\x1B[2J") == "\\x1B[2J");                     // ESC: a terminal's control sequence
    CHECK(core::printable("line\r\nnext\t\x7F") == "line\\x0D\\x0Anext\\x09\\x7F");
    CHECK(core::printable("\xC2\x9B" "31m") == "\\xC2\\x9B31m");        // C1 CSI
    CHECK(core::printable("\xC2\xA0") == "\xC2\xA0");                   // no-break space is text
    const std::string nasty = "text/\xFF\x1B[2J\xC0\xAF\xED\xA0\x80\0end"s;
    const auto once = core::printable(nasty);
    CHECK(core::printable(once) == once);
    // Valid UTF-8: Boost.JSON reads back what it wrote.
    CHECK(boost::json::parse(boost::json::serialize(boost::json::value(once))).as_string() == once);
}

TEST_CASE("printable: bad bytes in a Content-Type and a WebSocket close reason are escaped in raw results and reports, "
          "and the run goes on to the next framework",
          "[core][printable][run]") {
    test::test_server bad(1), good(1);
    test::faults faults;
    // (HTTP allows bytes 0x80 to 0xFF in a header value, not control characters: Beast refuses those.)
    faults.content_type = "text/\xFF\xC0\xAF";
    faults.close_websocket_code_after_first = 1001;
    faults.close_websocket_reason = "bye \xC0\xAF\x1B[2J";
    bad.set_faults(faults);
    test::temp_dir dir;
    const auto file = dir.write("m.toml", "output_dir = \"out\"\nscenarios = [\"ping\", \"ws-echo\"]\npatterns = [\"steady\"]\n"
                                          "reporters = [\"md\", \"json\", \"csv\"]\n[pattern.steady]\nconnections = 2\n"
                                          "warmup = \"0s\"\nduration = \"500ms\"\n[engine]\nthreads = 1\n"
                                          "[[framework]]\nname = \"bad\"\nurl = \"" + bad.base_url() + "\"\n"
                                          "[[framework]]\nname = \"good\"\nurl = \"" + good.base_url() + "\"\n");
    const auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);  // bad failed its checks
    CHECK(r.out.find("\xFF") == std::string::npos);
    CHECK(r.out.find("\x1B") == std::string::npos);
    const auto run = dir.path() / "out" / "latest";
    std::map<std::string, boost::json::object> raw;
    for (const auto& entry : fs::directory_iterator(run / "raw")) raw[entry.path().filename().string()] = boost::json::parse(slurp(entry.path())).as_object();
    REQUIRE(raw.size() == 4);
    const auto& bad_ping = raw.at("bad__ping__steady__run1.json");
    CHECK(bad_ping.at("outcome") == "failed");
    CHECK_THAT(messages_of(bad_ping), Catch::Contains("content type 'text/\\xFF\\xC0\\xAF', expected text/plain"));
    // In the check's reason, or in the load's first errors: which depends on when the close frame comes.
    CHECK_THAT(messages_of(raw.at("bad__ws-echo__steady__run1.json")), Catch::Contains("(code 1001: bye \\xC0\\xAF\\x1B[2J)"));
    CHECK(raw.at("good__ping__steady__run1.json").at("outcome") == "measured");
    CHECK(raw.at("good__ws-echo__steady__run1.json").at("outcome") == "measured");
    boost::json::parse(slurp(run / "summary.json"));  // throws if not valid JSON
    const auto report = slurp(run / "REPORT.md");
    CHECK_THAT(report, Catch::Contains("text/\\xFF\\xC0\\xAF"));
    CHECK(report.find("\x1B") == std::string::npos);
    CHECK(fs::exists(run / "summary.csv"));
}

TEST_CASE("printable: run --json stays one valid JSON document when the server's Content-Type is not UTF-8",
          "[core][printable][run]") {
    test::test_server server(1);
    test::faults faults;
    faults.content_type = "text/plain\xFF\xFE";
    server.set_faults(faults);
    const auto r = test::run_shootout({"--log-level", "error", "run", "--target", server.base_url(), "--connections", "1",
                                       "--threads", "1", "--warmup", "0s", "--duration", "200ms", "--json"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("measurement").at("outcome") == "failed");
    CHECK_THAT(std::string(doc.at("measurement").at("reason").as_string()), Catch::Contains("content type 'text/plain\\xFF\\xFE'"));
}
