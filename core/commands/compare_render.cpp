#include "commands/compare_render.h"

#include <algorithm>

#include <fmt/format.h>

#include "report_common.h"

namespace shootout::core {

using stats::group_comparison;

namespace {

std::string percent(const std::optional<double>& fraction) {
    return fraction ? fmt::format("{:+.2f} %", 100 * *fraction) : "-";
}

std::string range_text(const std::optional<sdk::stats::interval>& r) {
    return r ? fmt::format("{:+.2f} % to {:+.2f} %", 100 * r->low, 100 * r->high) : "-";
}

std::string side_rate(const sdk::stats::group& g) {
    if (g.verdict != sdk::stats::verdict::ranked) return reporters::verdict_text(g.verdict);
    return fmt::format("{} ({} run{})", reporters::rate_text(g.rate.median), g.rate.n, g.rate.n == 1 ? "" : "s");
}

std::string key_text(const std::string& framework, const std::string& scenario, const std::string& pattern) {
    return fmt::format("{} / {} / {}", framework, scenario, pattern);
}

}  // namespace

std::vector<std::string> compare_header() {
    return {"framework", "scenario", "pattern", "base req/s", "new req/s", "change", "95 % interval", "verdict",
            "p50 change", "p99 change"};
}

std::vector<std::string> compare_row(const group_comparison& g) {
    return {g.next->framework, g.next->scenario, g.next->pattern, side_rate(*g.base), side_rate(*g.next),
            percent(g.rps.point), range_text(g.rps.interval95), stats::change_name(g.verdict), percent(g.p50.point),
            percent(g.p99.point)};
}

std::vector<std::string> compare_notes(const compare_document& d) {
    std::vector<std::string> notes;
    for (const auto& g : d.comparison->groups)
        if (!g.note.empty()) notes.push_back(key_text(g.next->framework, g.next->scenario, g.next->pattern) + ": " + g.note);
    for (const auto& [label, keys] : {std::pair{"only in BASE", &d.comparison->only_base}, {"only in NEW", &d.comparison->only_new}})
        for (const auto& k : *keys) notes.push_back(fmt::format("{}: {}", label, key_text(k.framework, k.scenario, k.pattern)));
    if (!d.checked) return notes;
    for (const auto& b : d.checked->broken) notes.push_back(fmt::format("--fail-on {} failed: {}", b.limit->expression, b.text));
    for (const auto& u : d.checked->unjudged)
        notes.push_back(fmt::format("--fail-on {} not judged for {}: {}", u.limit->expression,
                                    key_text(u.group->next->framework, u.group->next->scenario, u.group->next->pattern), u.why));
    return notes;
}

std::string compare_console(const compare_document& d) {
    std::vector<std::vector<std::string>> rows{compare_header()};
    for (const auto& g : d.comparison->groups) rows.push_back(compare_row(g));
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    std::string text = fmt::format("compare: BASE {} -> NEW {}\n", d.base, d.next);
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) line += fmt::format("{:<{}}  ", row[i], widths[i]);
        line.erase(line.find_last_not_of(' ') + 1);
        text += line + '\n';
    }
    for (const auto& note : compare_notes(d)) text += "note: " + note + '\n';
    return text;
}

std::string compare_markdown(const compare_document& d) {
    std::string text = fmt::format("# shootout compare\n\nBASE: `{}`  \nNEW: `{}`\n\n", reporters::md_cell(d.base),
                                   reporters::md_cell(d.next));
    auto line = [](const std::vector<std::string>& cells) {
        std::string s = "|";
        for (const auto& c : cells) s += " " + reporters::md_cell(c) + " |";
        return s + '\n';
    };
    const auto header = compare_header();
    text += line(header);
    text += line(std::vector<std::string>(header.size(), "---"));
    for (const auto& g : d.comparison->groups) text += line(compare_row(g));
    text += "\nThe change is of the median req/s; the interval is Welch's 95 % interval on the difference of the mean "
            "req/s across runs, as a share of the base's mean. p50 and p99 come from each side's merged histogram.\n";
    const auto notes = compare_notes(d);
    if (!notes.empty()) text += "\n## Notes\n\n";
    for (const auto& note : notes) text += "- " + reporters::md_cell(note) + '\n';
    return text;
}

std::string compare_html(const compare_document& d) {
    using reporters::html_escape;
    std::string text =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>shootout compare</title>\n<style>"
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f4f4f4}"
        ".faster{color:#176e2c;font-weight:bold}.slower{color:#b00020;font-weight:bold}.muted{color:#666}"
        "</style></head><body>\n<h1>shootout compare</h1>\n";
    text += fmt::format("<p>BASE: <code>{}</code><br>NEW: <code>{}</code></p>\n<table>\n<tr>", html_escape(d.base),
                        html_escape(d.next));
    for (const auto& h : compare_header()) text += "<th>" + html_escape(h) + "</th>";
    text += "</tr>\n";
    for (const auto& g : d.comparison->groups) {
        const char* css = g.verdict == stats::change::faster   ? "faster"
                          : g.verdict == stats::change::slower ? "slower"
                                                               : "muted";
        text += "<tr>";
        const auto row = compare_row(g);
        for (std::size_t i = 0; i < row.size(); ++i)
            text += i == 7 ? fmt::format("<td class=\"{}\">{}</td>", css, html_escape(row[i])) : "<td>" + html_escape(row[i]) + "</td>";
        text += "</tr>\n";
    }
    text += "</table>\n<p class=\"muted\">The change is of the median req/s; the interval is Welch's 95 % interval on "
            "the difference of the mean req/s across runs, as a share of the base's mean. p50 and p99 come from each "
            "side's merged histogram.</p>\n";
    const auto notes = compare_notes(d);
    if (!notes.empty()) text += "<h2>Notes</h2>\n<ul>\n";
    for (const auto& note : notes) text += "<li>" + html_escape(note) + "</li>\n";
    if (!notes.empty()) text += "</ul>\n";
    return text + "</body></html>\n";
}

}  // namespace shootout::core
