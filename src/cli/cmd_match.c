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
#include "cli.h"

const char MATCH_HELP[] =
    "Usage: tznr match --threshold T [--solver greedy|none] [--output LINKS.csv] [--force]\n"
    "                  A.json B.json\n"
    "\n"
    "Compare every CLK of A.json with every CLK of B.json (clkhash JSON files, \"-\" for\n"
    "standard input for one of them) with the Dice coefficient and keep the pairs with a\n"
    "score >= T, sorted by score descending, then A row, then B row. With the greedy solver\n"
    "(the default), pairs are then accepted in that order when neither record is linked yet\n"
    "(1:1 links, as anonlink's greedy_solve); with 'none', all candidate pairs are written.\n"
    "The output is CSV: a_index,b_index,score (0-based data rows).\n"
    "\n"
    "Options:\n"
    "  -t, --threshold T       minimum Dice score, a number in [0, 1]\n"
    "      --solver NAME       greedy (default) or none\n"
    "  -o, --output FILE       output file; \"-\" or no option for standard output.\n"
    "                          Written atomically: no partial file is ever left behind.\n"
    "  -f, --force             replace OUTPUT if it exists\n"
    "  -h, --help              show this help and exit\n"
    "\n";

int cmd_match(int argc, char **argv)
{
    enum { OPT_SOLVER = 1000 };
    static const struct option opts[] = {
        {"threshold", required_argument, NULL, 't'},
        {"solver", required_argument, NULL, OPT_SOLVER},
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *thr_text = NULL, *solver = "greedy", *out_path = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 't': thr_text = optarg; break;
        case OPT_SOLVER: solver = optarg; break;
        case 'o': out_path = optarg; break;
        case 'f': force = 1; break;
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
    if (argc - optind < 2)
        return usage_error("match", "expected two CLK files, A.json and B.json");
    if (argc - optind > 2)
        return usage_error("match", "unexpected argument '%s'", argv[optind + 2]);
    const char *a_path = argv[optind], *b_path = argv[optind + 1];
    if (strcmp(a_path, "-") == 0 && strcmp(b_path, "-") == 0)
        return usage_error("match", "standard input can be used for one file only");
    if (!out_path)
        out_path = "-";
    if (output_taken("match", out_path, force))
        return EXIT_IO;

    tznr_clkset_t *a = NULL, *b = NULL;
    tznr_candidates_t *cands = NULL, *links = NULL;
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
    } else {
        rc = tznr_match_all_pairs(&cands, a, b, threshold);
        if (rc == TZNR_EBUFSIZE) {
            fprintf(stderr, "tznr match: %s: %s has %zu-bit filters but %s has %zu-bit filters\n",
                    tznr_strerror(TZNR_EFORMAT), a_path, tznr_clkset_filter_bits(a), b_path,
                    tznr_clkset_filter_bits(b));
            status = EXIT_DATA;
            goto done;
        }
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
done:
    tznr_candidates_free(links);
    tznr_candidates_free(cands);
    tznr_clkset_free(b);
    tznr_clkset_free(a);
    return status;
}

