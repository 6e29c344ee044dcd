// `shootout k8s-job`: a manifest's shards as a Kubernetes Indexed Job, printed, never applied.
//
// The output is a YAML stream (documents between `---` lines) whose documents are written in
// JSON, which is YAML too: kubectl applies it, and every document is one resource that a schema
// validator checks on its own. The resources: the manifest as a ConfigMap, a ReadWriteMany claim
// every shard writes its raw results to (each in a directory of its own), the Job, and a pod that
// mounts the claim so that the results can be copied out after the shards have ended (`kubectl
// cp` needs a running pod). The shard contract the Job's arguments rely on is docs/distributed.md's.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <ostream>
#include <regex>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "commands/commands.h"
#include "errors.h"
#include "manifest.h"
#include "option_parsing.h"
#include "pretty_json.h"

namespace shootout::core {

namespace {

namespace json = boost::json;
using std::chrono::seconds;

// Where the pods see things; the emulation test maps these paths to local directories. Each
// shard works in its own directory of the claim (shard-<index>, mounted at /work), with the
// manifest put in it from the ConfigMap: the manifest's output_dir is relative to the manifest,
// so the shard's results land on the claim, next to nothing of another shard's.
constexpr auto work_mount = "/work";
constexpr auto manifest_key = "shootout.toml";
constexpr auto results_mount = "/results";  // the whole claim, in the collector pod
constexpr auto container_name = "shootout";
constexpr auto index_variable = "SHARD_INDEX";
// A ConfigMap holds at most 1 MiB (the API server refuses more).
constexpr std::uintmax_t config_map_limit = 1024 * 1024;

// What the options and the manifest come to.
struct job_plan {
    std::string name;
    std::string start_at;             // "2026-12-02T05:02:00Z"
    seconds start_in{}, deadline{};   // deadline: activeDeadlineSeconds, from the Job's creation
    std::string shard_gap;            // passed on: the time between two measurements' slots
    std::filesystem::path output_dir; // the manifest's, relative to it: where each shard's runs go
    std::string claim;                // the results claim: generated (NAME-results) or given
    bool generate_claim = true;
    std::string manifest_text;
};

std::string utc_text(std::chrono::system_clock::time_point t) {
    const std::time_t time = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&time, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// A DNS-1123 label, as Kubernetes wants names of namespaces and (here) of the Job.
void check_label(const std::string& flag, const std::string& value, std::size_t longest, std::string_view why) {
    static const std::regex label{"[a-z0-9]([-a-z0-9]*[a-z0-9])?"};
    if (!std::regex_match(value, label) || value.size() > longest)
        throw config_error(fmt::format("k8s-job: {} '{}': a Kubernetes name here is 1 to {} lowercase letters, digits "
                                       "and '-', starting and ending with a letter or digit{}",
                                       flag, value, longest, why));
}

// The Job's name, short enough that the pods' host names (NAME-<index>) are labels too.
std::string job_name(const k8s_job_options& o, std::chrono::system_clock::time_point start) {
    if (o.name.empty()) {
        std::string stamp = utc_text(start);  // 2026-12-02T05:02:00Z -> 20261202-050200
        stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':' || c == 'Z'; }),
                    stamp.end());
        std::replace(stamp.begin(), stamp.end(), 'T', '-');
        return "shootout-" + stamp;
    }
    check_label("--name", o.name, 63 - 1 - std::to_string(o.shards - 1).size(),
                " (the pods are called NAME-<index>, at most 63 characters)");
    return o.name;
}

// A quantity as Kubernetes writes one ("4", "500m", "2Gi"): the schema takes any string, the
// API server would refuse the Job.
void check_quantity(const std::string& flag, const std::string& value) {
    static const std::regex quantity{"[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?"};
    if (!value.empty() && !std::regex_match(value, quantity))
        throw config_error(fmt::format("k8s-job: {} '{}': not a Kubernetes quantity; write it like 4, 500m, 2Gi or 512Mi",
                                       flag, value));
}

std::string read_manifest_text(const std::string& file) {
    const auto size = std::filesystem::file_size(file);
    if (size > config_map_limit)
        throw config_error(fmt::format("k8s-job: {}: {} bytes; a ConfigMap holds at most 1 MiB, so the manifest must be "
                                       "smaller to be shipped with the Job",
                                       file, size));
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The time every shard's slots take, over the whole manifest: each framework × scenario ×
// pattern × run is a planned load and the gap after it (a skipped measurement keeps its slot).
seconds planned_slots(const manifest& m, const plugin_instances& instances, std::chrono::nanoseconds gap) {
    std::chrono::nanoseconds per_round{};
    for (const auto& pattern : instances.patterns) {
        for (const auto& phase : pattern->plan().phases) per_round += phase.length;
        per_round += gap;
    }
    const auto rounds = static_cast<std::int64_t>(m.frameworks.size() * m.scenarios.size() * m.runs);
    return std::chrono::ceil<seconds>(per_round * rounds);
}

// The manifest's output_dir relative to the manifest: in the pod that is in the shard's
// directory on the claim. One elsewhere would be written inside the container and lost.
std::filesystem::path output_dir_on_claim(const manifest& m) {
    const auto relative = m.output_dir.lexically_normal().lexically_relative(m.dir.lexically_normal());
    if (relative.empty() || *relative.begin() == "..")
        throw config_error(fmt::format("k8s-job: {}: output_dir {} is outside the manifest's directory: in the pods the "
                                       "results would stay in the container; make it relative, like output_dir = "
                                       "\"results\"",
                                       m.file.string(), m.output_dir.string()));
    return relative;
}

bool is_loopback(const std::string& host) {
    if (host.empty() || host == "localhost") return host == "localhost";
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host.front() == '[' ? host.substr(1, host.size() - 2) : host, ec);
    return !ec && address.is_loopback();
}

// Each pod has a loopback of its own: a target there is the pod itself.
void warn_about_loopback(const manifest& m, std::ostream& err) {
    for (const auto& fw : m.frameworks)
        if (is_loopback(fw.host))
            err << fmt::format("k8s-job: warning: {}: framework '{}' is at {}, a loopback address: in a pod that is the "
                               "pod itself; give the address the pods reach the server at\n",
                               fw.where.str(), fw.name, fw.url);
}

// In the pod the manifest's directory is the shard's directory on the claim, which holds only
// the manifest: what the manifest names relative to itself must be in the image instead.
void warn_about_relative_files(const manifest& m, std::ostream& err) {
    std::vector<std::string> named;
    if (!m.plugin_paths.empty()) named.push_back("plugin_paths");
    if (m.database.mode == database_settings::kind::embedded) named.push_back("[database] init_sql");
    for (const auto& fw : m.frameworks)
        if (fw.local) named.push_back(fmt::format("framework '{}' (local)", fw.name));
    if (named.empty()) return;
    std::string list;
    for (const auto& n : named) list += (list.empty() ? "" : ", ") + n;
    err << fmt::format("k8s-job: warning: {}: {} name files relative to the manifest; in the pods the manifest is "
                       "{}/{} and nothing else of its directory is there, so those must be in the image at absolute "
                       "paths\n",
                       m.file.string(), list, work_mount, manifest_key);
}

job_plan make_plan(const k8s_job_options& o, const manifest& m, const plugin_instances& instances) {
    const auto gap = parse_duration(o.shard_gap);
    if (!gap) throw config_error(fmt::format("k8s-job: --shard-gap {}: {}", o.shard_gap, duration_problem(o.shard_gap)));
    const auto start_in = parse_duration(o.start_in);
    if (!start_in) throw config_error(fmt::format("k8s-job: --start-in {}: {}", o.start_in, duration_problem(o.start_in)));
    if (*start_in < seconds(1))
        throw config_error(fmt::format("k8s-job: --start-in {}: the pods need time to be scheduled and to start; give at "
                                       "least 1s (the default is 120s)",
                                       o.start_in));
    if (!o.namespace_.empty()) check_label("--namespace", o.namespace_, 63, "");
    if (o.image.empty() || std::any_of(o.image.begin(), o.image.end(), [](unsigned char c) { return std::isspace(c); }))
        throw config_error(fmt::format("k8s-job: --image '{}': give the image reference the nodes pull, like "
                                       "registry.example/shootout:1",
                                       o.image));
    check_quantity("--cpu", o.cpu);
    check_quantity("--memory", o.memory);
    check_quantity("--results-size", o.results_size);
    job_plan plan;
    plan.start_in = std::chrono::ceil<seconds>(*start_in);
    const auto start = std::chrono::ceil<seconds>(std::chrono::system_clock::now()) + plan.start_in;
    plan.name = job_name(o, start);
    plan.start_at = utc_text(start);
    // Twice the planned slots and at least ten minutes more: a Job that outlives that is stuck,
    // and is failed rather than left running.
    const auto slots = planned_slots(m, instances, *gap);
    plan.deadline = plan.start_in + slots + std::max<seconds>(slots, std::chrono::minutes(10));
    plan.shard_gap = o.shard_gap;
    plan.output_dir = output_dir_on_claim(m);
    plan.generate_claim = o.results_claim.empty();
    plan.claim = plan.generate_claim ? plan.name + "-results" : o.results_claim;
    plan.manifest_text = read_manifest_text(o.config);
    return plan;
}

json::object metadata(const k8s_job_options& o, const std::string& name, json::object labels) {
    json::object meta{{"name", name}};
    if (!o.namespace_.empty()) meta["namespace"] = o.namespace_;
    meta["labels"] = std::move(labels);
    return meta;
}

json::object run_labels(const job_plan& p, const char* role) {
    return {{"app.kubernetes.io/name", "shootout"}, {"shootout/run", p.name}, {"shootout/role", role}};
}

json::object config_map(const k8s_job_options& o, const job_plan& p) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", metadata(o, p.name, run_labels(p, "manifest"))},
            {"data", {{manifest_key, p.manifest_text}}}};
}

// Every shard writes into the same claim (shard-<i>-of-<N>/ each), so it must be ReadWriteMany.
json::object results_claim(const k8s_job_options& o, const job_plan& p) {
    json::object spec{{"accessModes", {"ReadWriteMany"}}, {"resources", {{"requests", {{"storage", o.results_size}}}}}};
    if (!o.storage_class.empty()) spec["storageClassName"] = o.storage_class;
    return {{"apiVersion", "v1"},
            {"kind", "PersistentVolumeClaim"},
            {"metadata", metadata(o, p.claim, run_labels(p, "results"))},
            {"spec", std::move(spec)}};
}

json::array shard_args(const k8s_job_options& o, const job_plan& p) {
    return {"--config",      fmt::format("{}/{}", work_mount, manifest_key),
            "--shard",       "auto",  // the index from JOB_COMPLETION_INDEX, which the Job controller sets
            "--shard-count", std::to_string(o.shards),
            "--start-at",    p.start_at,
            "--shard-gap",   p.shard_gap};
}

json::object shard_container(const k8s_job_options& o, const job_plan& p) {
    json::object container{{"name", container_name},
                           {"image", o.image},
                           {"command", {o.binary}},
                           {"args", shard_args(o, p)},
                           // The index for the volume's path (the Job controller's own variable is
                           // not in the spec it expands): the annotation every Indexed Job pod has.
                           {"env",
                            {{{"name", index_variable},
                              {"valueFrom",
                               {{"fieldRef",
                                 {{"fieldPath", "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}}}}}},
                           {"volumeMounts",
                            {{{"name", "results"},
                              {"mountPath", work_mount},
                              {"subPathExpr", fmt::format("shard-$({})", index_variable)}},
                             {{"name", "manifest"},
                              {"mountPath", fmt::format("{}/{}", work_mount, manifest_key)},
                              {"subPath", manifest_key},
                              {"readOnly", true}}}}};
    // Requests equal to limits: the Guaranteed QoS class, so a shard's CPU is not taken away
    // by its neighbours halfway through the measured window.
    json::object amounts;
    if (!o.cpu.empty()) amounts["cpu"] = o.cpu;
    if (!o.memory.empty()) amounts["memory"] = o.memory;
    if (!amounts.empty()) container["resources"] = {{"requests", amounts}, {"limits", amounts}};
    return container;
}

json::object shard_pod_spec(const k8s_job_options& o, const job_plan& p) {
    // One shard per node: two on one node would share its CPUs and its network.
    json::object one_per_node{
        {"podAntiAffinity",
         {{"requiredDuringSchedulingIgnoredDuringExecution",
           {{{"labelSelector", {{"matchLabels", {{"shootout/run", p.name}, {"shootout/role", "shard"}}}}},
             {"topologyKey", "kubernetes.io/hostname"}}}}}}};
    return {{"restartPolicy", "Never"},  // a restarted shard would start late
            {"affinity", std::move(one_per_node)},
            {"containers", {shard_container(o, p)}},
            {"volumes",
             {{{"name", "manifest"}, {"configMap", {{"name", p.name}}}},
              {{"name", "results"}, {"persistentVolumeClaim", {{"claimName", p.claim}}}}}}};
}

json::object job(const k8s_job_options& o, const job_plan& p) {
    json::object spec{
        {"completionMode", "Indexed"},
        {"completions", o.shards},
        {"parallelism", o.shards},  // all at once: a queued index would start late
        // No retries: a shard run again would start late (and refuse), and a benchmark that
        // heals itself changes the load it measures. Any failed shard fails the Job at once.
        {"backoffLimit", 0},
        {"podFailurePolicy",
         {{"rules",
           {{{"action", "FailJob"},
             {"onExitCodes", {{"containerName", container_name}, {"operator", "NotIn"}, {"values", {0}}}}},
            {{"action", "FailJob"}, {"onPodConditions", {{{"type", "DisruptionTarget"}, {"status", "True"}}}}}}}}},
        {"activeDeadlineSeconds", p.deadline.count()},
        {"template", {{"metadata", {{"labels", run_labels(p, "shard")}}}, {"spec", shard_pod_spec(o, p)}}}};
    return {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"metadata", metadata(o, p.name, run_labels(p, "shard"))},
            {"spec", std::move(spec)}};
}

// It only holds the claim mounted until the results are copied out, for an hour past the Job's
// deadline at most.
json::object collector_pod(const k8s_job_options& o, const job_plan& p) {
    const auto life = p.deadline + std::chrono::hours(1);
    json::object container{{"name", "collect"},
                           {"image", o.collector_image},
                           {"command", {"sleep", std::to_string(life.count())}},
                           {"volumeMounts", {{{"name", "results"}, {"mountPath", results_mount}, {"readOnly", true}}}}};
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", metadata(o, p.name + "-collect", run_labels(p, "collector"))},
            {"spec",
             {{"restartPolicy", "Never"},
              {"activeDeadlineSeconds", life.count()},
              {"containers", {std::move(container)}},
              {"volumes", {{{"name", "results"}, {"persistentVolumeClaim", {{"claimName", p.claim}}}}}}}}};
}

std::string collection_steps(const k8s_job_options& o, const job_plan& p) {
    const std::string ns = o.namespace_.empty() ? "" : " -n " + o.namespace_;
    return fmt::format(
        "k8s-job: Job {name}: {n} shard(s) of {image}, one per node, start at {at} (in {in} s: apply it before then); "
        "the Job fails if a shard fails or arrives late, and after {deadline} s.\n"
        "Apply it, wait for it, copy the results out, merge them:\n"
        "  kubectl{ns} apply -f job.yaml\n"
        "  kubectl{ns} wait --for=condition=complete --timeout={deadline}s job/{name}\n"
        "  kubectl{ns} cp {name}-collect:{results} ./{name}\n"
        "  shootout merge ./{name}/shard-*/{output}/*/raw --output ./{name}-merged\n"
        "  shootout report --results ./{name}-merged\n"
        "  kubectl{ns} delete -f job.yaml      # the Job, its pods, the ConfigMap{claim}\n"
        "A failed Job: kubectl{ns} describe job/{name}; kubectl{ns} logs -l job-name={name}\n",
        fmt::arg("name", p.name), fmt::arg("n", o.shards), fmt::arg("image", o.image), fmt::arg("at", p.start_at),
        fmt::arg("in", p.start_in.count()), fmt::arg("deadline", p.deadline.count()), fmt::arg("ns", ns),
        fmt::arg("results", results_mount), fmt::arg("output", p.output_dir.generic_string()),
        fmt::arg("claim", p.generate_claim ? " and the results claim" : ""));
}

}  // namespace

std::string k8s_job_help() {
    return "Prints the Job to stdout (a YAML stream of JSON documents: kubectl applies it) and, on stderr, the\n"
           "commands that apply it, copy the results out and merge them:\n"
           "  shootout k8s-job --config shootout.toml --shards 4 --image IMG > job.yaml\n"
           "  kubectl apply -f job.yaml && kubectl wait --for=condition=complete job/NAME\n"
           "  kubectl cp NAME-collect:/results ./NAME\n"
           "  shootout merge ./NAME/shard-*/results/*/raw --output ./NAME-merged   # output_dir = \"results\"\n"
           "It never talks to a cluster. See docs/distributed.md.";
}

int k8s_job(const k8s_job_options& o, const std::vector<search_dir>& plugin_dirs, std::ostream& out, std::ostream& err) {
    plugin_host host;
    const manifest m = load_manifest(o.config, host, plugin_dirs);
    const auto instances = instantiate(m, host);
    const job_plan p = make_plan(o, m, instances);
    warn_about_loopback(m, err);
    warn_about_relative_files(m, err);
    std::vector<json::object> documents{config_map(o, p)};
    if (p.generate_claim) documents.push_back(results_claim(o, p));
    documents.push_back(job(o, p));
    documents.push_back(collector_pod(o, p));
    for (const auto& d : documents) out << "---\n" << pretty_json(d) << '\n';
    err << collection_steps(o, p);
    return exit_ok;
}

}  // namespace shootout::core
