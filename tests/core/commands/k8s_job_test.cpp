// `shootout k8s-job`: the documents it prints checked against the Kubernetes API's own schemas by
// an independent validator (PyPI's kubernetes-validate, in the tools venv), their meaning checked
// field by field, and the Job's own container command run as its pods would run it.
//
// No cluster runs here, so that is what "tested" means for the Job: validated and emulated.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "test_helpers.h"

extern char** environ;

using namespace shootout;
using namespace shootout::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// The tools venv's Python (scripts/setup.sh builds it from scripts/tools/requirements.txt);
// SHOOTOUT_TOOLS_PYTHON names another one with the same lock installed.
fs::path tools_python() {
    if (const char* p = std::getenv("SHOOTOUT_TOOLS_PYTHON")) return p;
    return fs::path(SHOOTOUT_SOURCE_DIR) / ".venvs" / "tools" / "bin" / "python";
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs `script` with the tools' Python and `args` (sys.argv[1:]); returns its exit code and
// what it printed.
std::pair<int, std::string> run_python(const temp_dir& dir, const std::string& script, const std::vector<std::string>& args) {
    const auto file = dir.write("check.py", script);
    std::string command = fmt::format("'{}' '{}'", tools_python().string(), file.string());
    for (const auto& a : args) command += " '" + a + "'";
    command += fmt::format(" >'{}' 2>&1", (dir.path() / "python.out").string());
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir.path() / "python.out")};
}

// Validates every document of the YAML stream `file` strictly (unknown fields refused) against
// the schemas of `version`, and writes them as one JSON array to `as_json`: the documents as an
// independent YAML parser reads them.
std::pair<int, std::string> validate(const temp_dir& dir, const fs::path& file, const std::string& version,
                                     const fs::path& as_json) {
    return run_python(dir, R"(
import json, sys, yaml, kubernetes_validate
file, version, out = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(file)) if d]
failed = 0
for d in docs:
    try:
        kubernetes_validate.validate(d, version, strict=True)
        print("valid", d["kind"])
    except kubernetes_validate.ValidationError as e:
        failed += 1
        print("invalid", d["kind"], ".".join(str(p) for p in e.path), e.message)
json.dump(docs, open(out, "w"))
sys.exit(1 if failed else 0)
)",
                      {file.string(), version, as_json.string()});
}

const char* small_manifest(const std::string& url) {
    static std::string text;
    text = fmt::format(R"(scenarios = ["ping"]
patterns = ["steady"]
[pattern.steady]
connections = 3
warmup = "1s"
duration = "2s"
[[framework]]
name = "target"
url = "{}"
)",
                       url);
    return text.c_str();
}

const json::object* find_kind(const json::array& docs, std::string_view kind) {
    for (const auto& d : docs)
        if (d.at("kind").as_string() == kind) return &d.as_object();
    return nullptr;
}

std::chrono::system_clock::time_point parse_utc(const std::string& text) {
    std::tm tm{};
    REQUIRE(::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr);
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

}  // namespace

TEST_CASE("k8s-job: every document it prints is valid against the Kubernetes schemas, and a typo is caught",
          "[k8s-job][python]") {
    REQUIRE(fs::exists(tools_python()));
    temp_dir dir;
    const auto manifest = dir.write("m.toml", small_manifest("http://10.0.0.5:8080"));
    const auto r = run_shootout({"k8s-job", "--config", manifest.string(), "--shards", "3", "--image",
                                 "registry.example/shootout:1", "--cpu", "2", "--memory", "1Gi", "--namespace", "load"});
    REQUIRE(r.exit_code == 0);
    const auto job = dir.write("job.yaml", r.out);
    for (const std::string version : {"1.30", "1.37"}) {
        const auto [code, printed] = validate(dir, job, version, dir.path() / "docs.json");
        INFO(printed);
        CHECK(code == 0);
        CHECK(printed == "valid ConfigMap\nvalid PersistentVolumeClaim\nvalid Job\nvalid Pod\n");
    }

    SECTION("a misspelt field of the Job is refused, naming it") {
        std::string typo = r.out;
        const auto at = typo.find("\"parallelism\"");
        REQUIRE(at != std::string::npos);
        typo.replace(at, 13, "\"paralellism\"");
        const auto [code, printed] = validate(dir, dir.write("typo.yaml", typo), "1.37", dir.path() / "typo.json");
        CHECK(code == 1);
        CHECK_THAT(printed, Catch::Contains("invalid Job spec Additional properties are not allowed ('paralellism' was unexpected)"));
    }
    SECTION("a value of the wrong type is refused, naming where") {
        std::string typo = r.out;
        const auto at = typo.find("\"restartPolicy\": \"Never\"");
        REQUIRE(at != std::string::npos);
        typo.replace(at, 24, "\"restartPolicy\": false");
        const auto [code, printed] = validate(dir, dir.write("typo.yaml", typo), "1.37", dir.path() / "typo.json");
        CHECK(code == 1);
        CHECK_THAT(printed, Catch::Contains("invalid Job spec.template.spec.restartPolicy False is not of type 'string'"));
    }
}

TEST_CASE("k8s-job: an Indexed Job of N pods at once, one per node, no retries, a start time, the manifest shipped",
          "[k8s-job][python]") {
    REQUIRE(fs::exists(tools_python()));
    temp_dir dir;
    const auto manifest = dir.write("m.toml", small_manifest("http://10.0.0.5:8080"));
    const auto before = std::chrono::system_clock::now();
    const auto r = run_shootout({"k8s-job", "--config", manifest.string(), "--shards", "4", "--image", "img:1",
                                 "--start-in", "90s", "--name", "bench-a"});
    const auto after = std::chrono::system_clock::now();
    REQUIRE(r.exit_code == 0);
    const auto [code, printed] = validate(dir, dir.write("job.yaml", r.out), "1.37", dir.path() / "docs.json");
    REQUIRE(code == 0);
    const auto docs = json::parse(slurp(dir.path() / "docs.json")).as_array();
    REQUIRE(docs.size() == 4);

    const auto* config_map = find_kind(docs, "ConfigMap");
    const auto* claim = find_kind(docs, "PersistentVolumeClaim");
    const auto* job = find_kind(docs, "Job");
    const auto* collector = find_kind(docs, "Pod");
    REQUIRE((config_map && claim && job && collector));
    CHECK(config_map->at("data").at("shootout.toml").as_string() == slurp(manifest));
    CHECK(claim->at("spec").at("accessModes") == json::array{"ReadWriteMany"});

    const auto& spec = job->at("spec").as_object();
    CHECK(job->at("metadata").at("name") == "bench-a");
    CHECK(spec.at("completionMode") == "Indexed");
    CHECK(spec.at("completions") == 4);
    CHECK(spec.at("parallelism") == 4);
    CHECK(spec.at("backoffLimit") == 0);
    CHECK(spec.at("podFailurePolicy").at("rules").at(0) ==
          json::parse(R"({"action":"FailJob","onExitCodes":{"containerName":"shootout","operator":"NotIn","values":[0]}})"));
    // One slot: 3 s of planned load and the 20 s gap; the deadline leaves the start, that and
    // ten minutes.
    CHECK(spec.at("activeDeadlineSeconds") == 90 + 23 + 600);

    const auto& pod = spec.at("template").at("spec").as_object();
    CHECK(pod.at("restartPolicy") == "Never");
    const auto& anti = pod.at("affinity").at("podAntiAffinity").at("requiredDuringSchedulingIgnoredDuringExecution").at(0);
    CHECK(anti.at("topologyKey") == "kubernetes.io/hostname");
    // The selector picks exactly the Job's own pods: every label it asks for is on them.
    const auto& pod_labels = spec.at("template").at("metadata").at("labels").as_object();
    for (const auto& [key, value] : anti.at("labelSelector").at("matchLabels").as_object()) {
        INFO(key);
        CHECK(pod_labels.if_contains(key) != nullptr);
        if (pod_labels.if_contains(key)) CHECK(pod_labels.at(key) == value);
    }
    CHECK(collector->at("metadata").at("labels").at("shootout/role") != anti.at("labelSelector").at("matchLabels").at("shootout/role"));

    const auto& container = pod.at("containers").at(0);
    CHECK(container.at("command") == json::array{"shootout"});
    const auto& args = container.at("args").as_array();
    REQUIRE(args.size() == 10);
    CHECK(json::array(args.begin(), args.begin() + 6) ==
          json::array{"--config", "/work/shootout.toml", "--shard", "auto", "--shard-count", "4"});
    CHECK(args.at(6) == "--start-at");
    const auto start = parse_utc(std::string(args.at(7).as_string()));
    CHECK(start >= before + std::chrono::seconds(90) - std::chrono::seconds(1));
    CHECK(start <= after + std::chrono::seconds(91));
    CHECK(json::array(args.begin() + 8, args.end()) == json::array{"--shard-gap", "20s"});
    // Each shard in its own directory of the claim, named by its index, the manifest in it.
    CHECK(container.at("env").at(0) ==
          json::parse(R"({"name":"SHARD_INDEX","valueFrom":{"fieldRef":{"fieldPath":"metadata.annotations['batch.kubernetes.io/job-completion-index']"}}})"));
    CHECK(container.at("volumeMounts") == json::parse(R"json([
        {"name":"results","mountPath":"/work","subPathExpr":"shard-$(SHARD_INDEX)"},
        {"name":"manifest","mountPath":"/work/shootout.toml","subPath":"shootout.toml","readOnly":true}])json"));

    // The volumes the container mounts are the ConfigMap and the claim printed with it.
    for (const auto& volume : pod.at("volumes").as_array()) {
        if (volume.as_object().contains("configMap"))
            CHECK(volume.at("configMap").at("name") == config_map->at("metadata").at("name"));
        else
            CHECK(volume.at("persistentVolumeClaim").at("claimName") == claim->at("metadata").at("name"));
    }
    CHECK(collector->at("spec").at("volumes").at(0).at("persistentVolumeClaim").at("claimName") ==
          claim->at("metadata").at("name"));

    // How to collect and merge, on stderr.
    CHECK_THAT(r.err, Catch::Contains("kubectl cp bench-a-collect:/results ./bench-a\n"
                                      "  shootout merge ./bench-a/shard-*/results/*/raw --output ./bench-a-merged\n"));
}

TEST_CASE("k8s-job: an existing claim is used instead of one made, and --help says how to collect", "[k8s-job]") {
    temp_dir dir;
    const auto manifest = dir.write("m.toml", small_manifest("http://10.0.0.5:8080"));
    const auto r = run_shootout({"k8s-job", "--config", manifest.string(), "--shards", "2", "--image", "img:1",
                                 "--results-claim", "shared-nfs"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\"kind\": \"PersistentVolumeClaim\"") == std::string::npos);
    CHECK_THAT(r.out, Catch::Contains("\"claimName\": \"shared-nfs\""));
    CHECK_THAT(r.err, Catch::Contains("the ConfigMap\n"));

    const auto help = run_shootout({"k8s-job", "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("kubectl cp NAME-collect:/results ./NAME\n"
                                         "  shootout merge ./NAME/shard-*/results/*/raw --output ./NAME-merged"));
}

TEST_CASE("k8s-job: bad options and targets the pods cannot reach are named", "[k8s-job]") {
    temp_dir dir;
    const auto manifest = dir.write("m.toml", small_manifest("http://10.0.0.5:8080"));
    auto k8s_job = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"k8s-job", "--config", manifest.string(), "--shards", "3", "--image", "img:1"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_shootout(args);
    };
    struct refused {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<refused> cases{
        {{"--name", "Bench_A"}, "k8s-job: --name 'Bench_A': a Kubernetes name here is 1 to 61 lowercase letters"},
        {{"--name", std::string(62, 'a')}, "is 1 to 61 lowercase letters"},
        {{"--cpu", "four"}, "k8s-job: --cpu 'four': not a Kubernetes quantity; write it like 4, 500m, 2Gi or 512Mi"},
        {{"--memory", "2GiB"}, "k8s-job: --memory '2GiB': not a Kubernetes quantity"},
        {{"--start-in", "soon"}, "k8s-job: --start-in soon: "},
        {{"--start-in", "0s"}, "k8s-job: --start-in 0s: the pods need time to be scheduled and to start; give at least 1s"},
    };
    for (const auto& c : cases) {
        const auto r = k8s_job(c.args);
        INFO(c.args.front() << " " << c.args.back() << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.message));
        CHECK(r.out.empty());
    }
    CHECK(run_shootout({"k8s-job", "--config", manifest.string(), "--shards", "0", "--image", "i"}).exit_code == 2);
    CHECK(run_shootout({"k8s-job", "--config", manifest.string(), "--shards", "3"}).exit_code == 2);  // no --image

    SECTION("a manifest with an error is refused at its place, before any Job is printed") {
        const auto broken = dir.write("broken.toml", "scenarios = [\"pingg\"]\npatterns = [\"steady\"]\n");
        const auto r = run_shootout({"k8s-job", "--config", broken.string(), "--shards", "2", "--image", "img:1"});
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("broken.toml:1:14: error: no scenario 'pingg'"));
        CHECK(r.out.empty());
    }
    SECTION("results outside the manifest's directory would stay in the container: refused") {
        const auto elsewhere = dir.write("elsewhere.toml", std::string("output_dir = \"/var/results\"\n") +
                                                              small_manifest("http://10.0.0.5:8080"));
        const auto r = run_shootout({"k8s-job", "--config", elsewhere.string(), "--shards", "2", "--image", "img:1"});
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("elsewhere.toml: output_dir /var/results is outside the manifest's directory"));
        CHECK(r.out.empty());
    }
    SECTION("files named relative to the manifest are not shipped: a warning says which") {
        const auto with_plugins = dir.write("plugins.toml", std::string("plugin_paths = [\".\"]\n") +
                                                                small_manifest("http://10.0.0.5:8080"));
        const auto r = run_shootout({"k8s-job", "--config", with_plugins.string(), "--shards", "2", "--image", "img:1"});
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.err, Catch::Contains("plugins.toml: plugin_paths name files relative to the manifest; in the pods the "
                                          "manifest is /work/shootout.toml"));
    }
    SECTION("a loopback target is the pod itself: a warning names the framework") {
        const auto local = dir.write("local.toml", small_manifest("http://127.0.0.1:8080"));
        const auto r = run_shootout({"k8s-job", "--config", local.string(), "--shards", "2", "--image", "img:1"});
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.err, Catch::Contains("local.toml:7:1: framework 'target' is at http://127.0.0.1:8080, a loopback "
                                          "address: in a pod that is the pod itself"));
    }
}
