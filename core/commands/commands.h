// The commands other than a manifest run, one file each; cli.cpp parses the command line and
// dispatches. (`run` is core/run/adhoc.cpp, `report` core/report.cpp, `selftest`
// core/selftest/, a manifest run core/run/manifest_run.cpp.)
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "plugin_host.h"

namespace shootout::core {

/// The built-in plugins' directory, then SHOOTOUT_PLUGIN_PATH's: where every command looks first.
std::vector<search_dir> base_search_dirs();

/// `shootout list-plugins`: the plugins found (and, with `options`, their options), as a table
/// or one JSON document; the problems found on the way. Exit 2 if there were any.
int list_plugins(const std::string& config, bool json, bool options, std::ostream& out, std::ostream& err);

/// `shootout validate`: the manifest read and every plugin made from it, nothing run.
int validate(const std::string& config, std::ostream& out);

/// The arguments of `shootout compare`.
struct compare_options {
    std::string base, next;  ///< run directories, raw/ directories or single raw .json files
    bool json = false;       ///< one JSON document on stdout instead of the table
    std::filesystem::path output;      ///< also write compare.md, compare.json and compare.html here
    std::vector<std::string> fail_on;  ///< "rps:-5%", "p99:+10%", ...
};

/// `shootout compare BASE NEW` (docs/compare.md). Exit 1 when a --fail-on bound is broken or a
/// raw file was left out; a config_error (exit 2) for a bad bound, a side without raw results,
/// or nothing in common.
int compare(const compare_options& options, std::ostream& out, std::ostream& err);

/// The arguments of `shootout k8s-job` (docs/distributed.md).
struct k8s_job_options {
    std::string config;          ///< the manifest every shard runs, shipped as a ConfigMap
    unsigned shards = 0;         ///< parallelism = completions
    std::string image;           ///< the image with shootout in it
    std::string binary = "shootout";  ///< the container's command: shootout on the image's PATH, or its path
    std::string start_in = "120s";    ///< how long after now the shards start together
    std::string shard_gap = "20s";    ///< passed on to the shards: the time between two measurements (docs/distributed.md)
    std::string name;            ///< the Job's name ("": shootout-<start time>)
    std::string namespace_;      ///< "": the namespace kubectl is given
    std::string cpu, memory;     ///< each shard's requests and limits ("": none)
    std::string results_claim;   ///< an existing ReadWriteMany claim ("": one is made, NAME-results)
    std::string results_size = "1Gi";
    std::string storage_class;   ///< of the claim made ("": the cluster's default)
    std::string collector_image = "busybox:1.36";  ///< the pod the results are copied out of (needs tar)
};

/// `shootout k8s-job`: the manifest's shards as a Kubernetes Indexed Job on stdout, and how to
/// collect and merge its results on `err`. Talks to no cluster. A config_error for a bad manifest
/// or option.
int k8s_job(const k8s_job_options& options, const std::vector<search_dir>& plugin_dirs, std::ostream& out,
            std::ostream& err);
/// The end of `shootout k8s-job --help`: what it prints and what to do with it.
std::string k8s_job_help();

/// The arguments of `shootout merge`.
struct merge_options {
    std::vector<std::filesystem::path> inputs;  ///< shard output directories, run or raw/ directories, files
    std::filesystem::path output;               ///< the merged raw results go to output/raw/
    bool allow_partial = false;                 ///< merge without a missing shard (the result is failed: not ranked)
};

/// `shootout merge DIR...` (docs/distributed.md): the shards' raw results added up exactly into
/// output/raw/, a table of them on `out`. Exit 2 when the shards do not belong together (the
/// message names the file and the difference), 1 when a merged result failed (a shard failed,
/// or a partial merge), 0 otherwise.
int merge(const merge_options& options, std::ostream& out, std::ostream& err);

}  // namespace shootout::core
