// `shootout k8s-job`: the documents it prints checked against the Kubernetes API's own schemas by
// an independent validator (PyPI's kubernetes-validate, in the tools venv), their meaning checked
// field by field, and the Job's own container command run as its pods would run it.
//
// No cluster runs here, so that is what "tested" means for the Job: validated and emulated.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "test_helpers.h"
#include "test_server.h"

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
        {{"--namespace", "Load Tests"}, "k8s-job: --namespace 'Load Tests': a Kubernetes name here is 1 to 63"},
        {{"--shard-gap", "-1s"}, "k8s-job: --shard-gap -1s: "},
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
    const auto no_image = run_shootout({"k8s-job", "--config", manifest.string(), "--shards", "3", "--image", "my image"});
    CHECK(no_image.exit_code == 2);
    CHECK_THAT(no_image.err, Catch::Contains("k8s-job: --image 'my image': give the image reference the nodes pull"));

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

namespace {

// One pod of the Job, run here as Kubernetes would run it: the container's own command and
// arguments from the document, JOB_COMPLETION_INDEX and HOSTNAME as the Job controller sets
// them, the container's env (the completion-index annotation's value for a fieldRef to it), and
// each volumeMount a local path: the claim one directory every pod shares (with subPathExpr
// expanded), a ConfigMap's subPath a file written from its data on the mount it sits in. An
// argument under a mount path is given the local path instead; nothing else is changed.
class emulated_pod {
public:
    emulated_pod(const json::object& job, const json::object& config_map, const fs::path& claim, unsigned index,
                 const fs::path& log)
        : index_(index) {
        const auto& pod = job.at("spec").at("template").at("spec").as_object();
        const auto& container = pod.at("containers").at(0).as_object();
        const std::string name(job.at("metadata").at("name").as_string());
        env_ = {{"JOB_COMPLETION_INDEX", std::to_string(index)}, {"HOSTNAME", fmt::format("{}-{}", name, index)}};
        if (const auto* env = container.if_contains("env"))
            for (const auto& e : env->as_array()) env_.emplace_back(std::string(e.at("name").as_string()), value_of(e));
        mount_volumes(pod, container, config_map, claim);
        for (const auto& a : container.at("command").as_array()) argv_.emplace_back(a.as_string());
        for (const auto& a : container.at("args").as_array()) argv_.push_back(local(std::string(a.as_string())));
        start(log);
    }
    /// The exit code, or -1 if it did not end within `limit` (it is killed then).
    int wait(std::chrono::seconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > until) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                return -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    std::string value_of(const json::value& e) const {
        if (const auto* v = e.as_object().if_contains("value")) return std::string(v->as_string());
        const auto& field = e.at("valueFrom").at("fieldRef").at("fieldPath");
        REQUIRE(field == "metadata.annotations['batch.kubernetes.io/job-completion-index']");
        return std::to_string(index_);
    }
    // Kubernetes' $(VAR) from the container's env.
    std::string expand(std::string text) const {
        for (const auto& [k, v] : env_)
            for (std::size_t at; (at = text.find("$(" + k + ")")) != std::string::npos;) text.replace(at, k.size() + 3, v);
        REQUIRE(text.find("$(") == std::string::npos);
        return text;
    }
    std::string local(const std::string& path) const {
        for (const auto& [mount, dir] : mounts_)  // longest first
            if (path == mount || path.rfind(mount + "/", 0) == 0) return (dir.string() + path.substr(mount.size()));
        return path;
    }
    void mount_volumes(const json::object& pod, const json::object& container, const json::object& config_map,
                       const fs::path& claim) {
        std::vector<const json::object*> in_order;
        for (const auto& m : container.at("volumeMounts").as_array()) in_order.push_back(&m.as_object());
        std::sort(in_order.begin(), in_order.end(),
                  [](auto* a, auto* b) { return a->at("mountPath").as_string().size() < b->at("mountPath").as_string().size(); });
        for (const auto* m : in_order) {
            const json::object* volume = nullptr;
            for (const auto& v : pod.at("volumes").as_array())
                if (v.at("name") == m->at("name")) volume = &v.as_object();
            REQUIRE(volume);
            const std::string mount(m->at("mountPath").as_string());
            fs::path at;
            if (volume->contains("persistentVolumeClaim")) {
                at = claim;
                if (const auto* sub = m->if_contains("subPathExpr")) at /= expand(std::string(sub->as_string()));
                fs::create_directories(at);
            } else {
                REQUIRE(volume->at("configMap").at("name") == config_map.at("metadata").at("name"));
                const std::string key(m->at("subPath").as_string());
                at = local(mount);  // a file on the mount it sits in, as the kubelet makes it
                std::ofstream(at, std::ios::binary) << std::string_view(config_map.at("data").at(key).as_string());
            }
            mounts_.insert(mounts_.begin(), {mount, at});
        }
    }
    void start(const fs::path& log) {
        std::vector<std::string> environment;
        for (char** e = environ; *e; ++e) environment.emplace_back(*e);
        for (const auto& [k, v] : env_) environment.push_back(k + "=" + v);
        std::vector<char*> envp, argv;
        for (auto& e : environment) envp.push_back(e.data());
        for (auto& a : argv_) argv.push_back(a.data());
        envp.push_back(nullptr);
        argv.push_back(nullptr);
        posix_spawn_file_actions_t files;
        posix_spawn_file_actions_init(&files);
        posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&files, 1, 2);
        const int rc = ::posix_spawnp(&pid_, argv[0], &files, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&files);
        REQUIRE(rc == 0);
    }

    unsigned index_;
    pid_t pid_ = -1;
    std::vector<std::pair<std::string, std::string>> env_;
    std::vector<std::pair<std::string, fs::path>> mounts_;
    std::vector<std::string> argv_;
};

// What `kubectl cp` brings back: the files, not the symbolic links (it skips them).
void kubectl_cp(const fs::path& from, const fs::path& to) {
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::skip_symlinks);
}

json::value read_json(const fs::path& p) { return json::parse(slurp(p)); }

std::vector<fs::path> raw_files_under(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".json" && e.path().parent_path().filename() == "raw")
            files.push_back(e.path());
    return files;
}

}  // namespace

TEST_CASE("k8s-job: the Job's own command run as its three pods would run it gives shards that merge exactly",
          "[k8s-job][python][slow]") {
    REQUIRE(fs::exists(tools_python()));
    temp_dir dir;
    test_server server;
    const auto manifest = dir.write("m.toml", std::string(small_manifest(server.base_url())) + "[engine]\nthreads = 1\n");
    const auto r = run_shootout({"k8s-job", "--config", manifest.string(), "--shards", "3", "--image", "img:1",
                                 "--start-in", "4s", "--name", "emulated"});
    REQUIRE(r.exit_code == 0);
    const auto [code, printed] = validate(dir, dir.write("job.yaml", r.out), "1.37", dir.path() / "docs.json");
    REQUIRE(code == 0);
    const auto docs = read_json(dir.path() / "docs.json").as_array();
    const auto& job = *find_kind(docs, "Job");
    const auto& config_map = *find_kind(docs, "ConfigMap");

    // The container's command is `shootout`, found on PATH as in the image.
    const scoped_env path("PATH", (builtin_plugins() / "../../../bin").lexically_normal().string() + ":" + std::getenv("PATH"));
    const auto claim = dir.path() / "claim";
    std::vector<std::unique_ptr<emulated_pod>> pods;
    for (unsigned i = 0; i < 3; ++i)
        pods.push_back(std::make_unique<emulated_pod>(job, config_map, claim, i,
                                                      dir.path() / fmt::format("pod-{}.log", i)));
    for (unsigned i = 0; i < 3; ++i) {
        const int exit_code = pods[i]->wait(std::chrono::seconds(120));
        INFO("pod " << i << ":\n" << slurp(dir.path() / fmt::format("pod-{}.log", i)));
        REQUIRE(exit_code == 0);
    }

    // A pod that comes after the start (as a retried or late-scheduled one would) refuses to
    // run, and writes no result (on a claim of its own: it stands for one that came instead).
    emulated_pod late(job, config_map, dir.path() / "late-claim", 1, dir.path() / "late.log");
    CHECK(late.wait(std::chrono::seconds(60)) == 3);
    CHECK(raw_files_under(dir.path() / "late-claim").empty());

    // Collected and merged with the commands k8s-job printed.
    kubectl_cp(claim, dir.path() / "emulated");
    std::istringstream steps(r.err);
    std::string merge_line;
    for (std::string line; std::getline(steps, line);)
        if (line.rfind("  shootout merge ", 0) == 0) merge_line = line;
    REQUIRE(merge_line == "  shootout merge ./emulated/shard-*/results/*/raw --output ./emulated-merged");
    const int status = std::system(fmt::format("cd '{}' && {} >merge.log 2>&1", dir.path().string(), merge_line).c_str());
    INFO(slurp(dir.path() / "merge.log"));
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    // Each shard wrote its own result in its own directory, under the index the Job gave it.
    std::uint64_t completed = 0;
    std::map<std::int64_t, std::uint64_t> completed_by_shard;
    for (unsigned i = 0; i < 3; ++i) {
        const auto files = raw_files_under(dir.path() / "emulated" / fmt::format("shard-{}", i));
        REQUIRE(files.size() == 1);
        const auto doc = read_json(files.front());
        CHECK(doc.at("outcome") == "measured");
        CHECK(doc.at("placement").at("shard").at("index") == i);
        CHECK(doc.at("placement").at("shard").at("count") == 3);
        CHECK(doc.at("completed").to_number<std::uint64_t>() > 0);
        completed += doc.at("completed").to_number<std::uint64_t>();
        completed_by_shard[i] = doc.at("completed").to_number<std::uint64_t>();
    }
    const auto merged_files = raw_files_under(dir.path() / "emulated-merged");
    REQUIRE(merged_files.size() == 1);
    const auto merged = read_json(merged_files.front());
    CHECK(merged.at("outcome") == "measured");
    CHECK(merged.at("completed").to_number<std::uint64_t>() == completed);
    CHECK(merged.at("placement").at("merge").at("count") == 3);
    CHECK(merged.at("placement").at("merge").at("partial") == false);
    for (const auto& s : merged.at("placement").at("shards").as_array())
        CHECK(s.at("completed").to_number<std::uint64_t>() == completed_by_shard.at(s.at("index").to_number<std::int64_t>()));
    // The server saw every request the shards counted (and the warm-up's and the check's besides).
    CHECK(server.requests() >= completed);
}
