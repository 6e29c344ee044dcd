// Connections ramp up, hold at a peak, and cool down (closed model): the original suite's spike,
// with every stage measured and reported on its own.
#include <shootout/sdk/plugin.h>
#include <shootout/sdk/stages.h>

namespace {

using namespace shootout::sdk;

constexpr const char* stage_example = "\"ramp 60s 10->500\" or \"hold 2m 500\"";

load_phase to_phase(const stage_text& stage, const std::string& text) {
    if (stage.from != static_cast<double>(static_cast<std::uint32_t>(stage.from)) ||
        stage.to != static_cast<double>(static_cast<std::uint32_t>(stage.to)))
        throw config_error("stages", "stage \"" + text + "\": connection counts are whole numbers");
    load_phase phase;
    phase.name = stage.name;
    phase.length = stage.length;
    phase.connections_start = static_cast<std::uint32_t>(stage.from);
    phase.connections_end = static_cast<std::uint32_t>(stage.to);
    phase.measured = true;
    return phase;
}

class spike final : public load_pattern {
public:
    static constexpr std::array<option_spec, 2> options{{
        {"stages", option_type::string_list, "ramp 60s 10->500, hold 2m 500, cooldown 60s 500->10",
         "stages in order, each \"NAME DURATION FROM->TO\" (a linear ramp) or \"NAME DURATION N\" (a hold)"},
        {"warmup", option_type::duration, "0s", "unmeasured load at the first stage's connections before it"},
    }};

    explicit spike(const plugin_context& context) : warmup_(context.options.duration("warmup")) {
        std::vector<stage_text> parsed;
        for (const auto& text : context.options.string_list("stages")) {
            parsed.push_back(parse_stage(text, "stages", "connection count", 1, 1'000'000, stage_example));
            stages_.push_back(to_phase(parsed.back(), text));
        }
        if (stages_.empty()) throw config_error("stages", "needs at least one stage");
        require_unique_stage_names(parsed, "stages");
    }

    load_plan plan() const override {
        load_plan plan;
        plan.model = load_model::closed;
        if (warmup_ > std::chrono::nanoseconds::zero()) {
            const auto c = stages_.front().connections_start;
            plan.phases.push_back({"warmup", warmup_, false, c, c, 0, 0});
        }
        plan.phases.insert(plan.phases.end(), stages_.begin(), stages_.end());
        return plan;
    }

private:
    std::chrono::nanoseconds warmup_;
    std::vector<load_phase> stages_;
};

}  // namespace

SHOOTOUT_REGISTER_LOAD_PATTERN(spike, "spike", "1.0.0", "connections ramp up, hold, cool down; every stage measured")
