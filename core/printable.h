// Text that came from a server (a Content-Type, a WebSocket close reason, a body in a check's
// message, a version command's output) made safe to log, print and write into JSON, Markdown,
// CSV, HTML and terminals. A server can send any bytes; a report must stay valid whatever it sent.
#pragma once

#include <string>
#include <string_view>

#include <shootout/sdk/results.h>

namespace shootout::core {

/// `bytes` with valid UTF-8 kept as it is, and every byte that is not (overlong forms, lone
/// continuation bytes, surrogates, truncated sequences, code points above U+10FFFF) and every
/// byte of a control character (U+0000 to U+001F, U+007F, U+0080 to U+009F) written as the four
/// characters \xNN. The result is valid UTF-8 without control characters, and printable() of it
/// is itself.
std::string printable(std::string_view bytes);

/// Every string of a measurement (reason, warnings, phase names, extras, profile) made
/// printable(); its names too, although the manifest already allows only safe ones.
void make_printable(sdk::measurement& m);
/// Every string of an environment made printable() (framework versions come from the servers).
void make_printable(sdk::environment& e);

}  // namespace shootout::core
