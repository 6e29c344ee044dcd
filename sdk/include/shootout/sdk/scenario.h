// Scenario plugins: what one endpoint type sends, and what counts as a correct answer.
//
// The host owns sockets, timing and counting; a scenario only produces request bytes and judges
// responses. Per-connection state lives in a session, made once per connection and reused for
// every request on it, so nothing is allocated per request on the load path.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"

namespace shootout::sdk {

/// The most kinds of request a scenario may name (scenario::request_labels()): each kind keeps a
/// latency histogram per worker thread.
inline constexpr std::size_t max_request_labels = 64;

/// How the scenario talks to the server.
enum class transport { http, websocket };

/// The system under test, as the host resolved it from the manifest.
struct target {
    std::string framework;    ///< name from the manifest ("fastapi")
    std::string base_url;     ///< "http://127.0.0.1:8083" (no trailing slash)
    std::string host_header;  ///< value for the Host header: "127.0.0.1:8083"
    std::string path_prefix;  ///< path of the base URL without trailing slash, usually ""
};

/// Why a session is opened. A correctness session has every response verified, and may send
/// probes a load session never sends (an unknown id expecting 404, say).
enum class session_role { correctness_check, load };

/// What the host tells a session about its place in the run.
struct session_context {
    const sdk::target& target;
    session_role role;
    unsigned worker;           ///< index of the worker thread that owns the connection
    std::uint64_t connection;  ///< index of the connection within the run, unique per run
    std::uint64_t seed;        ///< deterministic per (run seed, connection): use it for randomness
};

/// A request in wire form: up to four byte ranges sent back to back (head, then body pieces),
/// so that a large body can be one shared immutable buffer sent without copying. The ranges
/// are owned by the session or the scenario and stay valid until the session's next call to
/// next_request(), or until the session is destroyed.
struct wire_request {
    std::array<std::string_view, 4> parts{};
    std::size_t part_count = 0;
    /// Which of the scenario's request_labels() this request is (0 when it has none): the host
    /// counts each response under it, so a scenario with several requests has per-request results.
    std::uint32_t kind = 0;

    std::uint64_t size() const noexcept {
        std::uint64_t n = 0;
        for (std::size_t i = 0; i < part_count; ++i) n += parts[i].size();
        return n;
    }
};

/// The parsed head of a response, valid only during the call that receives it.
struct response_head {
    unsigned status = 0;
    std::string_view content_type;               ///< the raw header value, "" if absent
    std::optional<std::uint64_t> content_length;  ///< absent for chunked or close-delimited
    bool chunked = false;
};

/// What every response to a request must carry, whether or not its body is judged. Under load
/// the host checks it on every response, so a wrong content type or length is counted exactly,
/// not estimated from the sample whose bodies are judged (a 2xx status is always required).
struct response_expectation {
    std::string_view media_type;            ///< "application/json": the Content-Type's media type, ignoring case and parameters; "" to not check
    std::optional<std::uint64_t> body_size;  ///< the body's exact length in bytes, when the scenario knows it
};

/// A judgement. `reason` is empty when `ok`; otherwise one line for a person:
/// "body is 'pon', expected 'pong'".
struct verdict {
    bool ok = true;
    std::string reason;

    static verdict pass() { return {}; }
    static verdict fail(std::string why) { return {false, std::move(why)}; }
};

/// Judges one response as it streams in. Owned by its session and reused: the host calls
/// begin(), then on_body() zero or more times with the de-chunked body in order, then end(),
/// all on the session's worker thread. If the connection fails mid-response, end() is not
/// called and the next response starts again with begin(). The body is never buffered whole by
/// the host, so a check that needs a digest computes it incrementally.
class SHOOTOUT_SDK_API response_check {
public:
    virtual ~response_check() = default;
    /// The status line and headers have arrived.
    virtual void begin(const response_head& head) = 0;
    /// The next piece of the body; `chunk` is valid only during the call.
    virtual void on_body(std::string_view chunk) = 0;
    /// The response is complete. Called once per begin(); the verdict decides whether the
    /// response counts as verified or as a `verify` error.
    virtual verdict end() = 0;
};

/// One HTTP/1.1 keep-alive connection's worth of scenario state. Made by the scenario, owned by
/// the host, used only from the worker thread that owns the connection. One request is in flight
/// at a time: next_request() is called again once the last request was answered, or once it
/// failed (the connection broke or timed out; the host reconnects and asks for a new request).
class SHOOTOUT_SDK_API http_session {
public:
    virtual ~http_session() = default;
    /// The next request to send. Must not throw or allocate on the load path.
    virtual wire_request next_request() = 0;
    /// The checker for the response to the request last returned. The host calls it for every
    /// response in a correctness session and for a sample of responses under load.
    virtual response_check& check() = 0;
    /// What the response to the request last returned must carry (see response_expectation).
    /// Called once per request under load, on the worker thread, right after next_request();
    /// the views must stay valid until the next call. Must not allocate. The default checks
    /// nothing beyond the status.
    virtual response_expectation expected() const { return {}; }
};

/// A WebSocket message: the bytes and whether they go as a binary or a text frame.
struct ws_message {
    std::string_view data;
    bool binary = false;
};

/// One WebSocket connection's worth of scenario state, on the same terms as http_session: made
/// per connection, used only from its worker thread, one message in flight at a time.
class SHOOTOUT_SDK_API websocket_session {
public:
    virtual ~websocket_session() = default;
    /// The next message to send; valid until the next call. Called again once the reply to the
    /// last one arrived, or after the connection failed and was upgraded anew (the session is
    /// kept across reconnects). Must not throw or allocate on the load path.
    virtual ws_message next_message() = 0;
    /// Judges the reply to the message last sent; `data` is valid only during the call. Unlike
    /// HTTP responses, every reply is judged, under load too (verify_sample does not apply): it is
    /// what tells the echo of this message from a late or repeated one, so keep it cheap. A
    /// reply the server sends unasked within one read is an error the host counts itself.
    virtual verdict check_reply(std::string_view data, bool binary) = 0;
};

/// The scenario itself: one instance per manifest entry, made on the control thread from
/// validated options. After prepare() returns, the scenario is immutable and the open_*
/// functions are called concurrently from worker threads.
class SHOOTOUT_SDK_API scenario {
public:
    virtual ~scenario() = default;

    /// Which protocol the sessions speak. Called on the control thread.
    virtual sdk::transport transport() const = 0;

    /// Called on the control thread before each measurement against `target` (before its
    /// correctness check), while no session is open. Builds shared immutable state: serialised
    /// requests, payloads and their digests. Throws std::exception to fail that measurement
    /// with the message.
    virtual void prepare(const target& target) = 0;

    /// The names of the scenario's kinds of request, when it has several ("list", "detail"):
    /// wire_request::kind indexes this list, and the host counts each kind's completed requests,
    /// errors and latency apart (measurement::requests). Empty (the default) for a scenario with
    /// one kind of request: its totals say it all. Called on the control thread after prepare();
    /// at most max_request_labels.
    virtual std::vector<std::string> request_labels() const { return {}; }

    /// How many requests (or messages) the correctness check sends through one session with
    /// every response verified, before any load.
    virtual unsigned correctness_requests() const { return 3; }

    /// Opens the scenario state for one HTTP connection. Called from the worker thread that will
    /// own the connection (concurrently with other workers), only if transport() is http.
    virtual std::unique_ptr<http_session> open_http_session(const session_context&) const {
        return nullptr;
    }

    /// The request target of the upgrade ("/ws-echo"), only if transport() is websocket.
    virtual std::string websocket_path() const { return {}; }

    /// Opens the scenario state for one WebSocket connection, after its upgrade succeeded.
    /// Same threading as open_http_session(), only if transport() is websocket.
    virtual std::unique_ptr<websocket_session> open_websocket_session(const session_context&) const {
        return nullptr;
    }
};

}  // namespace shootout::sdk
