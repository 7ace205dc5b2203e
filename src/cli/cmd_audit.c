/* tznr audit: what the shared encodings alone reveal (data-protection review). */
#include <tznr/tznr.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

const char AUDIT_HELP[] =
    "Usage: tznr audit [--report OUT.json] [--force] FILE\n"
    "\n"
    "Measure what an attacker holding the shared encodings alone (the linkage unit, or\n"
    "anyone who obtains the file) can learn from them, without the secret. FILE is a\n"
    "clkhash CLK JSON file or a native container (.tznr); \"-\" reads standard input.\n"
    "Measures: filter length and record count; popcount distribution (grows with the\n"
    "length of the encoded values); per-position set frequency (uneven frequencies enable\n"
    "frequency and pattern-mining attacks); classes of identical encodings (identical\n"
    "CLKs reveal identical records); and, for a container, per field the number of\n"
    "distinct field-level filters, the share of the most frequent one, the counts of the\n"
    "10 most frequent ones and the normalised entropy. A field with at most 100 distinct\n"
    "filters, or whose most frequent filters have counts distinguishable from their rank\n"
    "neighbours, is flagged as exposed to frequency alignment. Interpretation, thresholds\n"
    "and references: docs/privacy.md.\n"
    "\n"
    "A short summary is printed on standard output (on standard error when the report\n"
    "goes to standard output). Findings do not change the exit status.\n"
    "\n"
    "Options:\n"
    "  -r, --report FILE       write the full report as JSON (\"-\" for standard output)\n"
    "  -f, --force             replace the report if it exists\n"
    "  -h, --help              show this help and exit\n"
    "\n";

static void summary(FILE *fp, const char *file, const tznr_audit_t *a)
{
#define S(x) tznr_audit_stat(a, TZNR_AUDIT_##x)
    double n = S(RECORDS);
    fprintf(fp, "%s: %.0f records, %.0f-bit filters\n", file, n, S(FILTER_BITS));
    fprintf(fp, "  popcount: min %.0f, max %.0f, mean %.2f, sd %.2f\n", S(POPCOUNT_MIN),
            S(POPCOUNT_MAX), S(POPCOUNT_MEAN), S(POPCOUNT_SD));
    fprintf(fp, "  bit frequency: min %.4f, max %.4f, mean %.4f, sd %.4f; %.0f positions never "
            "set, %.0f always set\n", S(BITFREQ_MIN), S(BITFREQ_MAX), S(BITFREQ_MEAN),
            S(BITFREQ_SD), S(BITS_NEVER_SET), S(BITS_ALWAYS_SET));
    fprintf(fp, "  identical encodings: %.0f distinct; %.0f records (%.2f%%) share theirs with "
            "another, %.0f in classes >= 5, %.0f in classes >= 10; largest class %.0f\n",
            S(DISTINCT), S(SHARED_2), 100.0 * S(SHARED_2) / n, S(SHARED_5), S(SHARED_10),
            S(LARGEST_CLASS));
#undef S
    for (size_t f = 0; f < tznr_audit_field_count(a); f++) {
#define F(x) tznr_audit_field_stat(a, f, TZNR_AUDIT_FIELD_##x)
        uint64_t top[TZNR_AUDIT_TOP];
        size_t nt = tznr_audit_field_top(a, f, top, TZNR_AUDIT_TOP);
        fprintf(fp, "  field %s: %.0f empty; %.0f distinct, top share %.4f, entropy %.3f, "
                "top counts", tznr_audit_field_name(a, f), F(EMPTY), F(DISTINCT), F(TOP_SHARE),
                F(ENTROPY));
        for (size_t i = 0; i < nt; i++)
            fprintf(fp, "%s%llu", i ? "," : " ", (unsigned long long)top[i]);
        fprintf(fp, "%s\n", F(EXPOSED) == 1 ? " -- EXPOSED to frequency alignment" : "");
#undef F
    }
}

int cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"report", required_argument, NULL, 'r'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *report_path = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': report_path = optarg; break;
        case 'f': force = 1; break;
        case 'h': return print_help(AUDIT_HELP);
        default: return option_error("audit", c, argv, opts);
        }
    }
    if (optind >= argc)
        return usage_error("audit", "missing FILE");
    if (optind + 1 < argc)
        return usage_error("audit", "unexpected argument '%s'", argv[optind + 1]);
    const char *file = argv[optind];
    const cli_file files[] = {{report_path, "the report (--report)", 1}, {file, "the input", 0}};
    if (files_clash("audit", files, sizeof files / sizeof *files))
        return EXIT_USAGE;
    if (output_taken("audit", report_path, force))
        return EXIT_IO;
    tznr_audit_t *a = NULL;
    tznr_error_t rc = tznr_audit_new_from_file(&a, file);
    if (rc)
        return report("audit", rc);
    if (report_path && (rc = tznr_audit_write_json(a, report_path, force))) {
        tznr_audit_free(a);
        return report("audit", rc);
    }
    FILE *fp = report_path && strcmp(report_path, "-") == 0 ? stderr : stdout;
    summary(fp, strcmp(file, "-") == 0 ? "<stdin>" : file, a);
    tznr_audit_free(a);
    if (fflush(fp) != 0) {
        fprintf(stderr, "tznr audit: cannot write the summary\n");
        return EXIT_IO;
    }
    return EXIT_OK;
}
