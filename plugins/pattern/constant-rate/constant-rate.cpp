// Requests at planned times, at a fixed rate or along rate stages, whatever the server does (open
// model, like wrk2): latency counts from the planned time, so a server that stalls is charged for
// every request it held up, not only those already on the wire.
#include <shootout/sdk/plugin.h>
#include <shootout/sdk/stages.h>

namespace {

using namespace shootout::sdk;

constexpr double max_rate = 10'000'000;
constexpr const char* stage_example = "\"ramp 30s 100->2000\" or \"hold 1m 2000\"";

class constant_rate final : public load_pattern {
public:
    static constexpr std::array<option_spec, 5> options{{
        {"rate", option_type::number, "1000", "requests (or WebSocket messages) per second, in all"},
        {"duration", option_type::duration, "30s", "measured time at `rate`"},
        {"warmup", option_type::duration, "5s", "unmeasured time at the first rate before measuring (0s for none)"},
        {"connections", option_type::integer, "256",
         "cap of the connection pool; it grows on demand up to this, and requests wait for a free connection "
         "beyond it (sent late, and counted)"},
        {"stages", option_type::string_list, "",
         "instead of `rate` and `duration`: rate stages in order, each \"NAME DURATION FROM->TO\" (a linear ramp "
         "of the rate) or \"NAME DURATION R\" (a hold)"},
    }};

    explicit constant_rate(const plugin_context& context)
        : warmup_(context.options.duration("warmup")), connections_(context.options.integer("connections")) {
        if (connections_ < 1 || connections_ > 1'000'000) throw config_error("connections", "must be 1 to 1000000");
        const auto texts = context.options.string_list("stages");
        if (texts.empty()) {
            const double rate = context.options.number("rate");
            if (!(rate > 0 && rate <= max_rate)) throw config_error("rate", "must be more than 0 and at most 10000000");
            const auto duration = context.options.duration("duration");
            if (duration <= std::chrono::nanoseconds::zero()) throw config_error("duration", "must be more than 0s");
            stages_.push_back({"measure", duration, rate, rate});
        } else {
            // The stages replace rate and duration: a value given for either would be dropped
            // without a word.
            if (context.options.given("rate") || context.options.given("duration"))
                throw config_error("stages", "replaces 'rate' and 'duration', which are set too: remove them, or remove "
                                             "'stages'");
            for (const auto& text : texts) stages_.push_back(parse_stage(text, "stages", "rate", 0, max_rate, stage_example));
            require_unique_stage_names(stages_, "stages");
        }
        double most = 0;
        for (const auto& s : stages_) most = std::max({most, s.from, s.to});
        if (most <= 0) throw config_error("stages", "every stage has a rate of 0: nothing would be sent");
    }

    load_plan plan() const override {
        load_plan plan;
        plan.model = load_model::open;
        const auto cap = static_cast<std::uint32_t>(connections_);
        if (warmup_ > std::chrono::nanoseconds::zero()) {
            const double r = stages_.front().from;
            plan.phases.push_back({"warmup", warmup_, false, cap, cap, r, r});
        }
        for (const auto& s : stages_) plan.phases.push_back({s.name, s.length, true, cap, cap, s.from, s.to});
        return plan;
    }

private:
    std::chrono::nanoseconds warmup_;
    std::int64_t connections_;
    std::vector<stage_text> stages_;
};

}  // namespace

SHOOTOUT_REGISTER_LOAD_PATTERN(constant_rate, "constant-rate", "1.0.0",
                               "requests at planned times at a rate or along rate stages (open model, no coordinated omission)")
