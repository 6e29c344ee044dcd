// HTTP/1.1 as a connection's protocol: the scenario's session builds each request,
// response_reader (http1_parser.h) reads its answer, and the head is checked against the
// scenario's expected() on every response, the body on a sample. Keep-alive unless the
// connection mode (engine_config::requests_per_connection) ends a connection: its last request
// then says `Connection: close`. Internal to the engine.
#pragma once

#include <memory>
#include <string>

#include <shootout/sdk/scenario.h>

#include "http1_parser.h"
#include "protocol.h"

namespace shootout::core::engine {

class connection;

class http1_protocol final : public protocol {
public:
    explicit http1_protocol(connection& c);
    void on_connected(clock_type::time_point now) override;
    void submit(clock_type::time_point now, clock_type::time_point planned) override;
    bool on_bytes(std::string_view bytes, clock_type::time_point now) override;
    void on_eof() override;

private:
    void complete(clock_type::time_point now);
    std::string head_problem() const;  // what the response just completed breaks of expected(), "" if nothing
    sdk::wire_request asking_to_close(const sdk::wire_request& request);

    connection& c_;
    std::unique_ptr<sdk::http_session> session_;
    response_sink sink_;
    response_reader reader_{sink_};
    std::string closing_head_;  // the last request's head with `Connection: close` (asking_to_close)
};

}  // namespace shootout::core::engine
