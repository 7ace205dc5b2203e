/* tznr link / tznr dedupe: Fellegi–Sunter probabilistic linkage on native containers
 * (linkage unit). */
#include <tznr/tznr.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

const char LINK_HELP[] =
    "Usage: tznr link [--threshold P] [--output LINKS.csv] [--report REPORT.json] [--force]\n"
    "                 [EM and candidate options] A.tznr B.tznr\n"
    "\n"
    "Probabilistic (Fellegi-Sunter) linkage of two native containers made with the same\n"
    "schema (tznr encode --format tznr). Each candidate pair gets a comparison vector (per\n"
    "field, the level of its field-level Dice similarity, or 'missing'; the fields of one\n"
    "schema linkage.group, e.g. birth and usage name, are one entry: the best Dice over\n"
    "their cross pairs, missing only if no pair has both values); EM estimates the\n"
    "match prior and the m/u probabilities from the counts of distinct vectors, without\n"
    "labels. Pairs whose match probability is >= P are linked 1:1 (greedy, by decreasing\n"
    "match weight). Output: CSV a_id,b_id,match_probability,match_weight, sorted by\n"
    "probability descending, then ids. The report (JSON) holds lambda, m/u and match weight\n"
    "per field and level, EM convergence, and precision/recall estimated from the posteriors.\n"
    "\n"
    "Options:\n"
    "  -p, --threshold P       match probability needed for a link, in (0, 1); default 0.5\n"
    "  -o, --output FILE       links CSV; \"-\" or no option for standard output\n"
    "  -r, --report FILE       write the model and run report as JSON\n"
    "  -f, --force             replace existing output files\n"
    "      --max-iterations N  EM iterations at most (default 1000)\n"
    "      --tolerance X       EM stops when no parameter moves more than X (default 1e-6)\n"
    "      --prefilter D       compare only pairs whose CLK Dice is >= D (default 0: all pairs)\n"
    "      --u-random N        estimate u from N random pairs and keep it fixed (default off)\n"
    "      --seed S            seed of the random pairs (default 1)\n"
    "      --max-links N       most links (pairs reaching P) kept in memory, about 64 bytes\n"
    "                          each (default 10000000, 0 = no limit); a run with more stops\n"
    "                          after EM, before storing any, with an error naming the\n"
    "                          records, pairs, links and limit, and writes nothing: use a\n"
    "                          finer blocking (--prefilter) or a higher threshold\n"
    "  -h, --help              show this help and exit\n"
    "\n";

const char DEDUPE_HELP[] =
    "Usage: tznr dedupe [--threshold P] [--output CLUSTERS.csv] [--links LINKS.csv]\n"
    "                   [--report REPORT.json] [--force] [EM and candidate options] A.tznr\n"
    "\n"
    "Probabilistic deduplication of one native container: EM over all pairs of records,\n"
    "links with match probability >= P, and clusters = connected components of the links.\n"
    "Output: CSV id,cluster_id (one row per record; cluster_id is the id of the cluster's\n"
    "first record), to standard output without --output. Options as for 'tznr link', plus:\n"
    "  -l, --links FILE        also write the pairwise links (a_id,b_id,match_probability,\n"
    "                          match_weight)\n"
    "\n";

static int parse_prob(const char *s, double *out)
{
    return parse_threshold(s, out) == 0 && *out > 0.0 && *out < 1.0 ? 0 : -1;
}

static int run(const char *cmd, int argc, char **argv, int dedupe)
{
    enum { OPT_MAXIT = 1000, OPT_TOL, OPT_PRE, OPT_URAND, OPT_SEED, OPT_MAXLINKS };
    static const struct option opts[] = {
        {"threshold", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"report", required_argument, NULL, 'r'},
        {"links", required_argument, NULL, 'l'},
        {"force", no_argument, NULL, 'f'},
        {"max-iterations", required_argument, NULL, OPT_MAXIT},
        {"tolerance", required_argument, NULL, OPT_TOL},
        {"prefilter", required_argument, NULL, OPT_PRE},
        {"u-random", required_argument, NULL, OPT_URAND},
        {"seed", required_argument, NULL, OPT_SEED},
        {"max-links", required_argument, NULL, OPT_MAXLINKS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL, *report_path = NULL, *links_path = NULL;
    double threshold = 0.5, tol = 1e-6, pre = 0.0;
    uint64_t maxit = 1000, urand = 0, seed = 1, max_links = TZNR_LINK_DEFAULT_MAX_LINKS;
    int force = 0, c;
    char *end;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:o:r:l:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_prob(optarg, &threshold))
                return usage_error(cmd, "--threshold '%s' is not a probability in (0, 1)", optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'r': report_path = optarg; break;
        case 'l':
            if (!dedupe)
                return usage_error(cmd, "unknown option '--links'");
            links_path = optarg;
            break;
        case 'f': force = 1; break;
        case OPT_MAXIT:
            if (!parse_uint(optarg, 1, 1000000, 0, &maxit))
                return usage_error(cmd, "--max-iterations '%s': expected 1 .. 1000000", optarg);
            break;
        case OPT_TOL:
            errno = 0;
            tol = strtod(optarg, &end);
            if (*end || errno || !(tol > 0 && tol < 1))
                return usage_error(cmd, "--tolerance '%s': expected a number in (0, 1)", optarg);
            break;
        case OPT_PRE:
            if (parse_threshold(optarg, &pre))
                return usage_error(cmd, "--prefilter '%s' is not a number in [0, 1]", optarg);
            break;
        case OPT_URAND:
            if (!parse_uint(optarg, 0, UINT64_MAX, 0, &urand))
                return usage_error(cmd, "--u-random '%s': expected a count", optarg);
            break;
        case OPT_SEED:
            if (!parse_uint(optarg, 0, UINT64_MAX, 0, &seed))
                return usage_error(cmd, "--seed '%s': expected an unsigned integer", optarg);
            break;
        case OPT_MAXLINKS:
            if (!parse_uint(optarg, 0, UINT64_MAX, 0, &max_links))
                return usage_error(cmd, "--max-links '%s': expected a count (0 = no limit)", optarg);
            break;
        case 'h': return print_help(dedupe ? DEDUPE_HELP : LINK_HELP);
        default: return option_error(cmd, c, argv, opts);
        }
    }
    int want = dedupe ? 1 : 2;
    if (argc - optind < want)
        return usage_error(cmd, dedupe ? "expected one container, A.tznr" :
                                         "expected two containers, A.tznr and B.tznr");
    if (argc - optind > want)
        return usage_error(cmd, "unexpected argument '%s'", argv[optind + want]);
    if (!out_path)
        out_path = "-";
    if ((strcmp(out_path, "-") == 0) + (report_path && strcmp(report_path, "-") == 0) +
        (links_path && strcmp(links_path, "-") == 0) > 1)
        return usage_error(cmd, "only one of --output, --report and --links can be standard "
                           "output");
    if (!dedupe && strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0)
        return usage_error(cmd, "standard input can be used for one file only");
    const cli_file files[] = {{out_path, "the output (--output)", 1},
                              {report_path, "the report (--report)", 1},
                              {links_path, "the links file (--links)", 1},
                              {argv[optind], "the input A", 0},
                              {dedupe ? NULL : argv[optind + 1], "the input B", 0}};
    if (files_clash(cmd, files, sizeof files / sizeof *files))
        return EXIT_USAGE;
    if (output_taken(cmd, out_path, force) || output_taken(cmd, report_path, force) ||
        output_taken(cmd, links_path, force))
        return EXIT_IO;

    tznr_container_t *a = NULL, *b = NULL;
    tznr_linker_t *lk = NULL;
    tznr_link_result_t *res = NULL;
    int status = EXIT_OK;
    tznr_error_t rc = tznr_container_read(&a, argv[optind]);
    if (!rc && !dedupe)
        rc = tznr_container_read(&b, argv[optind + 1]);
    if (!rc)
        rc = tznr_linker_new(&lk);
    if (!rc)
        rc = tznr_linker_set_threshold(lk, threshold);
    if (!rc)
        rc = tznr_linker_set_em(lk, (unsigned)maxit, tol);
    if (!rc)
        rc = tznr_linker_set_prefilter(lk, pre);
    if (!rc)
        rc = tznr_linker_set_u_from_random(lk, urand, seed);
    if (!rc)
        rc = tznr_linker_set_max_links(lk, max_links);
    cli_progress prog;
    cli_progress_init(&prog, dedupe ? "dedupe: pairs" : "link: pairs");
    if (!rc)
        rc = tznr_linker_set_progress(lk, cli_progress_cb, &prog);
    if (rc) {
        status = report(cmd, rc);
        goto done;
    }
    rc = dedupe ? tznr_link_dedupe(&res, lk, a) : tznr_link_two(&res, lk, a, b);
    cli_progress_done(&prog);
    if (rc) {
        status = rc == TZNR_EINVAL ? report_data(cmd, rc) : report(cmd, rc);
        if (rc == TZNR_EINVAL && dedupe)   /* the library knows containers, not files */
            fprintf(stderr, "tznr %s: input: %s\n", cmd, argv[optind]);
        else if (rc == TZNR_EINVAL)
            fprintf(stderr, "tznr %s: inputs: A = %s, B = %s\n", cmd, argv[optind],
                    argv[optind + 1]);
        goto done;
    }
    unsigned it;
    double change;
    int conv;
    if (tznr_link_result_stats(res, &it, &change, &conv, NULL, NULL) == TZNR_OK && !conv)
        fprintf(stderr, "tznr %s: warning: EM did not converge in %u iterations (last change "
                "%.3g); results use the parameters reached\n", cmd, it, change);
    if (dedupe)
        rc = tznr_link_result_write_clusters(res, out_path, force);
    else
        rc = tznr_link_result_write_links(res, out_path, force);
    if (!rc && links_path)
        rc = tznr_link_result_write_links(res, links_path, force);
    if (!rc && report_path)
        rc = tznr_link_result_write_report(res, report_path, force);
    if (rc)
        status = report(cmd, rc);
done:
    tznr_link_result_free(res);
    tznr_linker_free(lk);
    tznr_container_free(a);
    tznr_container_free(b);
    return status;
}

int cmd_link(int argc, char **argv) { return run("link", argc, argv, 0); }
int cmd_dedupe(int argc, char **argv) { return run("dedupe", argc, argv, 1); }
