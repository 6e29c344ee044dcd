// The verdict on a measurement from its figures alone, without sockets: each rule on a made-up
// measurement.
#include <catch2/catch.hpp>

#include "run/judge.h"

using namespace shootout;

namespace {

sdk::measurement healthy() {
    sdk::measurement m;
    m.seconds = 10;
    m.completed = 10000;
    m.rate = 1000;
    m.connections_asked = m.connections_established = 50;
    for (int i = 0; i < 10000; ++i) m.latency_us.record(1000 + i % 500);
    return m;
}

bool has_warning(const sdk::measurement& m, const std::string& start) {
    for (const auto& w : m.warnings)
        if (w.rfind(start, 0) == 0) return true;
    return false;
}

}  // namespace

TEST_CASE("judge: a healthy measurement stays measured, with no warning", "[run][judge]") {
    auto m = healthy();
    core::judge(m, {.worker_cpu_seconds = {2.0}, .slowest_answered_us = 1500});
    CHECK(m.outcome == sdk::outcome::measured);
    CHECK(m.warnings.empty());
}

TEST_CASE("judge: nothing completed fails, with the reason that fits", "[run][judge]") {
    auto m = healthy();
    m.completed = 0;
    core::judge(m, {.request_timeout = std::chrono::seconds(30)});
    CHECK(m.outcome == sdk::outcome::failed);
    CHECK(m.reason.find("no request completed in the measured time (10.000 s) and none failed") == 0);
    CHECK(m.reason.find("30000 ms") != std::string::npos);

    auto interrupted = healthy();
    interrupted.completed = 0;
    core::judge(interrupted, {.interrupted = true});
    CHECK(interrupted.reason == "interrupted before any request of the measured time completed");
    CHECK(interrupted.warnings.front() == "interrupted after 10.0 s");

    auto tiny = healthy();
    tiny.completed = 0;
    tiny.planned_rate = 0.05;
    core::judge(tiny, {.open_model = true});
    CHECK(tiny.reason.find("the plan has less than one request") == 0);
}

TEST_CASE("judge: a server that stopped answering fails, a slow one does not", "[run][judge]") {
    auto hung = healthy();
    hung.unfinished = 50;
    hung.unfinished_oldest_us = 2'500'000;
    core::judge(hung, {.slowest_answered_us = 12'000, .silent_tail_us = 2'500'000});
    CHECK(hung.outcome == sdk::outcome::failed);
    CHECK(hung.reason.find("the server stopped answering: nothing was answered in the last 2.50 s") == 0);

    // One request left waiting while the others were answered to the end: a warning, with its
    // wait in the latency, not a dead server (gunicorn's gthread worker did this).
    auto behind = healthy();
    behind.unfinished = 49;
    behind.unfinished_oldest_us = 9'000'000;
    core::judge(behind, {.slowest_answered_us = 43'000, .silent_tail_us = 2'000});
    CHECK(behind.outcome == sdk::outcome::measured);
    CHECK(has_warning(behind, "a request was left unanswered while others were answered: 49 request(s)"));

    // Requests that take 3 s each: one still waiting 4 s in is not twice the slowest.
    auto slow = healthy();
    slow.unfinished = 50;
    slow.unfinished_oldest_us = 4'000'000;
    core::judge(slow, {.slowest_answered_us = 3'000'000});
    CHECK(slow.outcome == sdk::outcome::measured);

    // Under a second is never a stall, whatever the ratio.
    auto brief = healthy();
    brief.unfinished = 4;
    brief.unfinished_oldest_us = 900'000;
    core::judge(brief, {.slowest_answered_us = 1'000});
    CHECK(brief.outcome == sdk::outcome::measured);
}

TEST_CASE("judge: warnings for the generator, the errors and the connections", "[run][judge]") {
    auto m = healthy();
    m.errors.status = 3;
    m.connections_established = 40;
    core::judge(m, {.worker_cpu_seconds = {9.7, 4.0}, .failures = {"status 500", "status 500", "status 503"}});
    CHECK(m.outcome == sdk::outcome::measured);
    CHECK(has_warning(m, "generator-bound: worker 0 was busy 97 %"));
    CHECK(!has_warning(m, "generator-bound: worker 1"));
    CHECK(has_warning(m, "3 error(s); first: status 500 (×2); status 503"));
    CHECK(has_warning(m, "only 40 of 50 connections established"));
}

TEST_CASE("judge: the open model says when its plan was not carried out, and why", "[run][judge]") {
    auto m = healthy();
    m.planned_rate = 2000;
    m.achieved_rate = 1000;
    m.late_requests = 100;
    m.requests_unsent_at_end = 5000;
    core::judge(m, {.open_model = true});
    CHECK(has_warning(m, "generator-bound: planned load not reached: 1000 requests/s sent of 2000 planned, 5000 still "
                         "waiting"));
    CHECK(has_warning(m, "100 request(s) (1.00 %) went out 1 ms or more after their planned time"));

    auto refused = healthy();
    refused.planned_rate = 2000;
    refused.achieved_rate = 1000;
    refused.connections_established = 10;
    refused.errors.connect = 7;
    core::judge(refused, {.open_model = true});
    CHECK(has_warning(refused, "planned load not reached"));
    CHECK(!has_warning(refused, "generator-bound"));
}

TEST_CASE("judge: a server that answered nothing at the end while requests failed is dead, not slow", "[run][judge]") {
    auto killed = healthy();
    killed.errors.connect = 30;  // refused reconnects, once per tick
    core::judge(killed, {.slowest_answered_us = 5'000, .silent_tail_us = 1'500'000, .failed_in_silent_tail = true});
    CHECK(killed.outcome == sdk::outcome::failed);
    CHECK(killed.reason.find("the server stopped answering: nothing was answered in the last 1.50 s") == 0);

    // Every answer takes 3 s: 2.5 s without one is its ordinary pace.
    auto slow = healthy();
    slow.unfinished = 4;
    slow.unfinished_oldest_us = 2'500'000;
    core::judge(slow, {.slowest_answered_us = 3'000'000, .silent_tail_us = 2'500'000});
    CHECK(slow.outcome == sdk::outcome::measured);

    // Silence with nothing failing in it, and at most a fresh request waiting: a plan that ends
    // idle or at a low rate, even after errors earlier on.
    auto quiet = healthy();
    quiet.errors.status = 5;
    quiet.unfinished = 1;
    quiet.unfinished_oldest_us = 3'000;
    core::judge(quiet, {.slowest_answered_us = 5'000, .silent_tail_us = 2'000'000, .failed_in_silent_tail = false});
    CHECK(quiet.outcome == sdk::outcome::measured);

    // A hung server: nothing failed, but a request waited through the silence.
    auto hung = healthy();
    hung.unfinished = 4;
    hung.unfinished_oldest_us = 1'900'000;
    core::judge(hung, {.slowest_answered_us = 5'000, .silent_tail_us = 1'900'000});
    CHECK(hung.reason.find("the server stopped answering: nothing was answered in the last 1.90 s") == 0);
}
