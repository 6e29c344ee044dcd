// Connections ramp up, hold at a peak, and cool down (closed model): the original suite's spike,
// with every stage measured and reported on its own.
#include <charconv>

#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

// "30s", "2m", "500ms" -> nanoseconds; the host's own parser is not part of the SDK.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || value < 0) return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    double scale = 0;
    if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    else if (unit == "m") scale = 60e9;
    else return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(value * scale));
}

std::optional<std::uint32_t> parse_count(std::string_view text) {
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || n == 0 || n > 1'000'000) return std::nullopt;
    return n;
}

// One stage: "NAME DURATION FROM->TO" (a ramp) or "NAME DURATION N" (a hold).
load_phase parse_stage(const std::string& text) {
    const auto fail = [&](const std::string& why) {
        return config_error("stages", "stage \"" + text + "\": " + why +
                                          "; write \"NAME DURATION FROM->TO\" or \"NAME DURATION N\", like \"ramp 60s "
                                          "10->500\" or \"hold 2m 500\"");
    };
    std::vector<std::string_view> words;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        const auto end = rest.find(' ');
        words.push_back(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    }
    if (words.size() != 3) throw fail("expected three words");
    load_phase phase;
    phase.name = std::string(words[0]);
    const auto length = parse_duration(words[1]);
    if (!length || *length <= std::chrono::nanoseconds::zero()) throw fail("'" + std::string(words[1]) + "' is not a duration");
    phase.length = *length;
    const auto arrow = words[2].find("->");
    const auto from = parse_count(words[2].substr(0, arrow));
    const auto to = arrow == std::string_view::npos ? from : parse_count(words[2].substr(arrow + 2));
    if (!from || !to) throw fail("'" + std::string(words[2]) + "' is not a connection count from 1 to 1000000");
    phase.connections_start = *from;
    phase.connections_end = *to;
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
        for (const auto& text : context.options.string_list("stages")) stages_.push_back(parse_stage(text));
        if (stages_.empty()) throw config_error("stages", "needs at least one stage");
        for (std::size_t i = 0; i < stages_.size(); ++i)
            for (std::size_t j = i + 1; j < stages_.size(); ++j)
                if (stages_[i].name == stages_[j].name)
                    throw config_error("stages", "two stages are named '" + stages_[i].name + "'; give each its own name");
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
