// A fixed number of connections, each sending its next request as soon as the last is answered
// (closed model), after an unmeasured warm-up: the original suite's steady pattern.
#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

class steady final : public load_pattern {
public:
    static constexpr std::array<option_spec, 3> options{{
        {"connections", option_type::integer, "50", "concurrent keep-alive connections"},
        {"warmup", option_type::duration, "30s", "load applied before measuring, not recorded (0s for none)"},
        {"duration", option_type::duration, "180s", "measured time"},
    }};

    explicit steady(const plugin_context& context)
        : connections_(context.options.integer("connections")),
          warmup_(context.options.duration("warmup")),
          duration_(context.options.duration("duration")) {
        if (connections_ < 1 || connections_ > 1'000'000) throw config_error("connections", "must be 1 to 1000000");
        if (duration_ <= std::chrono::nanoseconds::zero()) throw config_error("duration", "must be more than 0s");
    }

    load_plan plan() const override {
        load_plan plan;
        plan.model = load_model::closed;
        const auto c = static_cast<std::uint32_t>(connections_);
        if (warmup_ > std::chrono::nanoseconds::zero()) plan.phases.push_back({"warmup", warmup_, false, c, c, 0, 0});
        plan.phases.push_back({"measure", duration_, true, c, c, 0, 0});
        return plan;
    }

private:
    std::int64_t connections_;
    std::chrono::nanoseconds warmup_, duration_;
};

}  // namespace

SHOOTOUT_REGISTER_LOAD_PATTERN(steady, "steady", "1.0.0", "N connections, closed loop: warm-up, then measure")
