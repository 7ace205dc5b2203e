/* tznr match: Dice candidates and greedy 1:1 links (linkage unit). */
#include <tznr/tznr.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli.h"

const char MATCH_HELP[] =
    "Usage: tznr match --threshold T [--solver greedy|none] [--output LINKS.csv] [--force]\n"
    "                  [--threads N] [--top-k K] [--blocking none|lsh [LSH options]]\n"
    "                  [--max-pairs N] [--stats] A.json B.json\n"
    "\n"
    "Compare every CLK of A.json with every CLK of B.json (clkhash JSON files, \"-\" for\n"
    "standard input for one of them) with the Dice coefficient and keep the pairs with a\n"
    "score >= T, sorted by score descending, then A row, then B row. With the greedy solver\n"
    "(the default), pairs are then accepted in that order when neither record is linked yet\n"
    "(1:1 links, as anonlink's greedy_solve); with 'none', all candidate pairs are written.\n"
    "The output is CSV: a_index,b_index,score (0-based data rows). It is the same for any\n"
    "number of threads and any comparison kernel.\n"
    "\n"
    "Options:\n"
    "  -t, --threshold T       minimum Dice score, a number in [0, 1]\n"
    "      --solver NAME       greedy (default) or none\n"
    "  -o, --output FILE       output file; \"-\" or no option for standard output.\n"
    "                          Written atomically: no partial file is ever left behind.\n"
    "  -f, --force             replace OUTPUT if it exists\n"
    "      --threads N         comparison threads (default 0: all CPUs)\n"
    "      --top-k K           keep only the K best pairs of each record of A (score\n"
    "                          descending, lower B row first on ties) before solving\n"
    "      --blocking NAME     none (default): compare every pair; lsh: compare only the\n"
    "                          pairs whose CLKs agree on all K sampled bits of at least one\n"
    "                          of L tables (Hamming LSH by bit sampling)\n"
    "      --lsh-k K           bits sampled per table (1..64)  } both, or neither: then\n"
    "      --lsh-tables L      number of tables               } chosen from the data\n"
    "      --lsh-recall R      target recall for the choice, in (0, 1) (default 0.995)\n"
    "      --lsh-goal GOAL     every (default): every pair >= T is found with probability\n"
    "                          >= R (a guarantee); mean: the mean over pairs at T is >= R\n"
    "                          (an estimate; far fewer tables on large files)\n"
    "      --lsh-seed S        seed of the sampled positions (decimal or 0x hex; default\n"
    "                          0x747a6e722d6c7368); record it to reproduce a run\n"
    "      --max-pairs N       most candidate pairs held in memory before solving (about\n"
    "                          24 bytes each; default 20000000, 0 = no limit). More\n"
    "                          stop the run early with an error naming the count, the\n"
    "                          limit and the blocking, and no output is written: use a\n"
    "                          finer blocking (--blocking lsh, larger --lsh-k), a\n"
    "                          higher threshold or --top-k, or raise the limit\n"
    "      --stats             print a summary on standard error: kernel, threads,\n"
    "                          comparisons, reduction ratio, LSH parameters and recall\n"
    "  -h, --help              show this help and exit\n"
    "\n"
    "With LSH, a pair whose score reaches T is missed with a probability computed by\n"
    "1 - (1 - p^K)^L, p = 1 - hamming/bits (see include/tznr/block.h). The comparison\n"
    "kernel is the fastest the CPU runs, or the one named by the TZNR_KERNEL environment\n"
    "variable (scalar, avx2, avx512). Progress is shown on standard error when it is a\n"
    "terminal.\n"
    "\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_match(int argc, char **argv)
{
    enum {
        OPT_SOLVER = 1000, OPT_THREADS, OPT_TOPK, OPT_BLOCKING, OPT_LSH_K, OPT_LSH_TABLES,
        OPT_LSH_RECALL, OPT_LSH_GOAL, OPT_LSH_SEED, OPT_STATS, OPT_MAX_PAIRS
    };
    static const struct option opts[] = {
        {"threshold", required_argument, NULL, 't'},
        {"solver", required_argument, NULL, OPT_SOLVER},
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"top-k", required_argument, NULL, OPT_TOPK},
        {"blocking", required_argument, NULL, OPT_BLOCKING},
        {"lsh-k", required_argument, NULL, OPT_LSH_K},
        {"lsh-tables", required_argument, NULL, OPT_LSH_TABLES},
        {"lsh-recall", required_argument, NULL, OPT_LSH_RECALL},
        {"lsh-goal", required_argument, NULL, OPT_LSH_GOAL},
        {"lsh-seed", required_argument, NULL, OPT_LSH_SEED},
        {"stats", no_argument, NULL, OPT_STATS},
        {"max-pairs", required_argument, NULL, OPT_MAX_PAIRS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *thr_text = NULL, *solver = "greedy", *out_path = NULL, *blocking = "none";
    const char *threads_text = NULL, *topk_text = NULL, *k_text = NULL, *tables_text = NULL;
    const char *recall_text = NULL, *goal_text = NULL, *seed_text = NULL, *max_text = NULL;
    int force = 0, stats = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 't': thr_text = optarg; break;
        case OPT_SOLVER: solver = optarg; break;
        case 'o': out_path = optarg; break;
        case 'f': force = 1; break;
        case OPT_THREADS: threads_text = optarg; break;
        case OPT_TOPK: topk_text = optarg; break;
        case OPT_BLOCKING: blocking = optarg; break;
        case OPT_LSH_K: k_text = optarg; break;
        case OPT_LSH_TABLES: tables_text = optarg; break;
        case OPT_LSH_RECALL: recall_text = optarg; break;
        case OPT_LSH_GOAL: goal_text = optarg; break;
        case OPT_LSH_SEED: seed_text = optarg; break;
        case OPT_STATS: stats = 1; break;
        case OPT_MAX_PAIRS: max_text = optarg; break;
        case 'h': return print_help(MATCH_HELP);
        default: return option_error("match", c, argv, opts);
        }
    }
    double threshold = 0.0;
    if (!thr_text)
        return usage_error("match", "missing --threshold");
    if (parse_threshold(thr_text, &threshold) != 0)
        return usage_error("match", "--threshold '%s' is not a number in [0, 1]", thr_text);
    int greedy;
    if (strcmp(solver, "greedy") == 0)
        greedy = 1;
    else if (strcmp(solver, "none") == 0)
        greedy = 0;
    else
        return usage_error("match", "--solver '%s': expected greedy or none", solver);
    uint64_t threads = 0, topk = 0, lsh_k = 0, lsh_tables = 0, seed = TZNR_LSH_DEFAULT_SEED;
    if (threads_text && !parse_uint(threads_text, 0, 1024, 0, &threads))
        return usage_error("match", "--threads '%s' is not a number from 0 (all CPUs) to 1024",
                           threads_text);
    if (topk_text && !parse_uint(topk_text, 1, (uint64_t)1 << 32, 0, &topk))
        return usage_error("match", "--top-k '%s' is not a whole number >= 1", topk_text);
    uint64_t max_pairs = TZNR_MATCH_DEFAULT_MAX_PAIRS;
    if (max_text && !parse_uint(max_text, 0, UINT64_MAX, 0, &max_pairs))
        return usage_error("match", "--max-pairs '%s' is not a whole number >= 0 (0 = no limit)",
                           max_text);
    int lsh;
    if (strcmp(blocking, "none") == 0)
        lsh = 0;
    else if (strcmp(blocking, "lsh") == 0)
        lsh = 1;
    else
        return usage_error("match", "--blocking '%s': expected none or lsh", blocking);
    if (!lsh && (k_text || tables_text || recall_text || goal_text || seed_text))
        return usage_error("match", "--lsh-k, --lsh-tables, --lsh-recall, --lsh-goal and "
                                    "--lsh-seed need --blocking lsh");
    if (k_text && !parse_uint(k_text, 1, TZNR_LSH_MAX_K, 0, &lsh_k))
        return usage_error("match", "--lsh-k '%s' is not a number from 1 to %u", k_text,
                           TZNR_LSH_MAX_K);
    if (tables_text && !parse_uint(tables_text, 1, TZNR_LSH_MAX_TABLES, 0, &lsh_tables))
        return usage_error("match", "--lsh-tables '%s' is not a number from 1 to %u",
                           tables_text, TZNR_LSH_MAX_TABLES);
    if (!k_text != !tables_text)
        return usage_error("match", "give both --lsh-k and --lsh-tables, or neither");
    double recall = 0.995;
    if (recall_text && (parse_threshold(recall_text, &recall) != 0 || recall <= 0 || recall >= 1))
        return usage_error("match", "--lsh-recall '%s' is not a number in (0, 1)", recall_text);
    if (recall_text && k_text)
        return usage_error("match", "--lsh-recall chooses K and the tables: not with --lsh-k");
    tznr_lsh_goal_t goal = TZNR_LSH_EVERY_PAIR;
    if (goal_text && strcmp(goal_text, "mean") == 0)
        goal = TZNR_LSH_MEAN_AT_THRESHOLD;
    else if (goal_text && strcmp(goal_text, "every") != 0)
        return usage_error("match", "--lsh-goal '%s': expected every or mean", goal_text);
    if (seed_text && !parse_uint(seed_text, 0, UINT64_MAX, 1, &seed))
        return usage_error("match", "--lsh-seed '%s' is not a 64-bit unsigned number", seed_text);
    if (argc - optind < 2)
        return usage_error("match", "expected two CLK files, A.json and B.json");
    if (argc - optind > 2)
        return usage_error("match", "unexpected argument '%s'", argv[optind + 2]);
    const char *a_path = argv[optind], *b_path = argv[optind + 1];
    if (strcmp(a_path, "-") == 0 && strcmp(b_path, "-") == 0)
        return usage_error("match", "standard input can be used for one file only");
    if (!out_path)
        out_path = "-";
    const cli_file files[] = {{out_path, "the output (--output)", 1},
                              {a_path, "the input A", 0}, {b_path, "the input B", 0}};
    if (files_clash("match", files, sizeof files / sizeof *files))
        return EXIT_USAGE;
    if (output_taken("match", out_path, force))
        return EXIT_IO;

    tznr_clkset_t *a = NULL, *b = NULL;
    tznr_candidates_t *cands = NULL, *links = NULL;
    tznr_lsh_t *index = NULL;
    tznr_match_stats_t st;
    memset(&st, 0, sizeof st);
    double every = 0, mean = 0, t0 = now_s();
    int status;
    tznr_error_t rc = tznr_clkset_read_json(&a, a_path);
    if (!rc)
        rc = tznr_clkset_read_json(&b, b_path);
    if (rc) {
        status = report("match", rc);
        goto done;
    }
    if (tznr_clkset_count(a) == 0 || tznr_clkset_count(b) == 0) {
        /* nothing to compare (an empty set may not even have a filter length) */
        rc = tznr_candidates_new(&cands);
        lsh = 0;
    } else if (tznr_clkset_filter_bits(a) != tznr_clkset_filter_bits(b)) {
        fprintf(stderr, "tznr match: %s: %s has %zu-bit filters but %s has %zu-bit filters\n",
                tznr_strerror(TZNR_EFORMAT), a_path, tznr_clkset_filter_bits(a), b_path,
                tznr_clkset_filter_bits(b));
        status = EXIT_DATA;
        goto done;
    } else {
        if (lsh && !k_text) {
            unsigned k, tables;
            rc = tznr_lsh_choose(&k, &tables, a, b, threshold, recall, goal);
            if (rc == TZNR_EINVAL) {   /* the data admit no parameters: a usage problem */
                fprintf(stderr, "tznr match: %s; use --blocking none, or give --lsh-k and "
                                "--lsh-tables\n", tznr_last_error_message());
                status = EXIT_USAGE;
                goto done;
            }
            lsh_k = k;
            lsh_tables = tables;
        }
        if (!rc && lsh)
            rc = tznr_lsh_new(&index, tznr_clkset_filter_bits(a), (unsigned)lsh_k,
                              (unsigned)lsh_tables, seed);
        if (!rc && lsh && stats)
            rc = tznr_lsh_recall(&every, &mean, a, b, threshold, (unsigned)lsh_k,
                                 (unsigned)lsh_tables);
        cli_progress prog;
        cli_progress_init(&prog, lsh ? "match (LSH tables)" : "match (pairs)");
        tznr_match_options_t o;
        tznr_match_options_init(&o);
        o.threshold = threshold;
        o.threads = (unsigned)threads;
        o.top_k = (size_t)topk;
        o.lsh = index;
        o.progress = cli_progress_cb;
        o.progress_user = &prog;
        o.stats = &st;
        o.max_pairs = max_pairs;
        if (!rc)
            rc = tznr_match(&cands, a, b, &o);
        cli_progress_done(&prog);
    }
    if (rc) {
        status = report("match", rc);
        goto done;
    }
    if (greedy) {
        rc = tznr_solve_greedy(&links, cands);
        if (rc) {
            status = report("match", rc);
            goto done;
        }
    }
    rc = tznr_candidates_write_csv(greedy ? links : cands, out_path, force);
    status = rc ? report("match", rc) : EXIT_OK;
    if (!rc && stats) {
        uint64_t total = (uint64_t)tznr_clkset_count(a) * tznr_clkset_count(b);
        fprintf(stderr, "tznr match: kernel %s, %u thread%s, %.3f s\n",
                st.kernel ? st.kernel : tznr_cpu_kernel(), st.threads ? st.threads : 1,
                st.threads == 1 ? "" : "s", now_s() - t0);
        fprintf(stderr, "tznr match: pairs %llu, comparisons %llu, reduction ratio %.6f\n",
                (unsigned long long)total, (unsigned long long)st.comparisons,
                total ? 1.0 - (double)st.comparisons / (double)total : 0.0);
        if (lsh)
            fprintf(stderr, "tznr match: LSH K %llu, tables %llu, seed 0x%llx, candidates %llu; "
                            "recall >= %.6f for every pair >= %g, %.6f mean at the threshold\n",
                    (unsigned long long)lsh_k, (unsigned long long)lsh_tables,
                    (unsigned long long)seed, (unsigned long long)st.candidates, every,
                    threshold, mean);
        fprintf(stderr, "tznr match: candidate pairs %zu, links written %zu\n",
                tznr_candidates_count(cands), tznr_candidates_count(greedy ? links : cands));
    }
done:
    tznr_lsh_free(index);
    tznr_candidates_free(links);
    tznr_candidates_free(cands);
    tznr_clkset_free(b);
    tznr_clkset_free(a);
    return status;
}
