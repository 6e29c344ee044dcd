// In-process HTTP/1.1 + WebSocket server implementing the apps contract (/ping, /json, /db-read,
// /db-write, /upload, /stream, /ws-echo), and for the http scenario's tests GET /user/<digits>/info
// and POST /echo, for integration tests. It misbehaves on demand.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shootout::test {

/// Broken chunked framing (faults::bad_chunk): /ping's "pong" sent chunked, wrong.
enum class chunk_fault {
    none,
    bad_size,      ///< a chunk size line that is not hexadecimal ("zz")
    missing_crlf,  ///< the chunk's data not followed by its CRLF
};

/// Misbehaviour to inject. The default value means: behave correctly.
struct faults {
    std::chrono::microseconds delay{0};        ///< wait this long before each HTTP response and each WebSocket echo
    /// Non-zero: a server of known capacity, one request at a time in arrival order, each
    /// taking this long (4 ms: 250 req/s), like one thread with a fixed service time, whatever
    /// the `threads` serving the sockets: HTTP answers wait on one queue's clock (a timer, not a
    /// busy CPU, so a loaded machine does not change the capacity). Past capacity the queue
    /// grows, and requests of closed connections still take their turn, as a real server's do.
    std::chrono::microseconds service_time{0};
    unsigned status = 0;                       ///< non-zero: answer every HTTP request (upgrades too) with this status and {"error":"injected"}
    unsigned status_every = 0;                 ///< with `status`: only every Nth HTTP request gets it, the others are right
    bool wrong_body = false;                   ///< subtly wrong bodies: pang, hullo, name "wrong", {"id":"x"}, 64 '0' sha256, /stream 1 byte short
    bool wrong_content_type = false;           ///< HTTP answers say "text/html" whatever the contract's type
    unsigned wrong_every = 0;                  ///< with wrong_body or wrong_content_type: only every Nth HTTP request gets it
    bool close_mid_response = false;           ///< send the head and half the body (half the head if no body), then close
    bool close_without_answer = false;         ///< read the request, then close without answering
    bool never_answer = false;                 ///< read the request, never answer, keep the socket open
    std::chrono::microseconds body_drip{0};    ///< /stream: wait this long between 64 KiB chunks
    bool connection_close = false;             ///< send "Connection: close" and close after every response
    bool ignore_connection_close = false;      ///< keep the connection open (and say keep-alive) even when a request says "Connection: close"
    bool refuse_websocket = false;             ///< answer upgrades on /ws-echo with 404, like a framework without WebSocket
    bool close_websocket_after_first = false;  ///< accept the upgrade, echo the first message, then drop the TCP socket
    std::uint16_t close_websocket_code_after_first = 0;  ///< non-zero: echo the first message, then a close frame with this code (1001 "going away", 1011 "internal error")
    std::string close_websocket_reason{};      ///< with close_websocket_code_after_first: the close frame's reason (any bytes)
    std::string content_type{};                ///< non-empty: every HTTP response's Content-Type, as given (any bytes but CR and LF)
    unsigned interim_status = 0;               ///< non-zero (100, 103): an interim response with this status before every HTTP answer
    bool echo_twice = false;                   ///< WebSocket: send every echo twice (a server that answers what nobody asked)
    // Raw answers, written byte for byte by test_server_raw.cpp (HTTP unless said otherwise).
    std::chrono::microseconds byte_drip{0};    ///< send each HTTP answer one byte at a time, waiting this long between bytes
    bool endless_headers = false;              ///< a status line, then header lines that never end
    bool endless_body = false;                 ///< a head announcing 2^62 bytes of body (Content-Length), then 'X' forever
    chunk_fault bad_chunk = chunk_fault::none; ///< HTTP answers chunked with broken framing
    bool duplicate_response = false;           ///< send every HTTP answer twice: the second one unsolicited
    std::chrono::microseconds duplicate_after{0};  ///< with duplicate_response: the second copy this much later (0: in the same write)
    std::uint64_t websocket_frame_length = 0;  ///< non-zero: answer WebSocket messages with a binary frame header announcing this payload length, and 16 bytes of it
};

/// One HTTP request as the server saw it arrive (test_server::record_arrivals).
struct arrival {
    std::string source;                           ///< the client's address, "127.0.0.10"
    std::chrono::steady_clock::time_point at;     ///< when the request was fully read
};

/// The server. Listens on 127.0.0.1 on an ephemeral port from construction to destruction.
class test_server {
public:
    /// Binds 127.0.0.1:0 and serves on `threads` background threads (at least one).
    explicit test_server(unsigned threads = 1);
    /// Stops, closes every socket and joins the threads; returns promptly whatever clients do.
    ~test_server();
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    /// The port it listens on.
    std::uint16_t port() const;
    /// "http://127.0.0.1:<port>".
    std::string base_url() const;
    /// Replaces the faults; applies to requests (and WebSocket messages) read afterwards. Thread-safe.
    void set_faults(const faults& f);
    /// Holds every response that would be sent in [from, from + length) until from + length.
    /// Replaces any earlier stall. Thread-safe.
    void stall(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::duration length);
    /// HTTP requests fully received so far.
    std::uint64_t requests() const;
    /// Of those, the ones that said "Connection: close" (or were HTTP/1.0 without keep-alive).
    std::uint64_t requests_asking_to_close() const;
    /// The request targets ("/user/000001/info") of the first 10,000 requests, in the order read.
    std::vector<std::string> targets() const;
    /// Successful /db-write inserts so far.
    std::uint64_t rows_written() const;
    /// TCP connections accepted so far.
    std::uint64_t connections_accepted() const;
    /// From now on, keeps every HTTP request's source address and arrival time (off by default:
    /// a benchmark's millions of requests need not be kept). Thread-safe.
    void record_arrivals();
    /// The requests recorded so far, in the order they were read. Thread-safe.
    std::vector<arrival> arrivals() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace shootout::test
