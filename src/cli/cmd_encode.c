/* tznr encode: CSV -> CLKs (data custodian). */
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

const char ENCODE_HELP[] =
    "Usage: tznr encode --schema SCHEMA.json --secret-file KEY [--output OUT.json]\n"
    "                   [--force] INPUT.csv\n"
    "\n"
    "Encode every data row of INPUT.csv (\"-\" for standard input) into a CLK, using the\n"
    "linkage schema SCHEMA.json and the secret shared by the data custodians, read from the\n"
    "file KEY (UTF-8; one trailing newline is ignored). The CLKs are written as clkhash JSON\n"
    "{\"clks\": [...]}, one per row, in row order. If any row is invalid, nothing is written\n"
    "and every failing row is reported as FILE:LINE: column 'NAME': RULE.\n"
    "\n"
    "Options:\n"
    "  -s, --schema FILE       linkage schema (clkhash v3 JSON)\n"
    "  -k, --secret-file FILE  file holding the shared secret (never printed)\n"
    "  -o, --output FILE       output file; \"-\" or no option for standard output.\n"
    "                          Written atomically: no partial file is ever left behind.\n"
    "  -f, --force             replace OUTPUT if it exists\n"
    "  -h, --help              show this help and exit\n"
    "\n";

int cmd_encode(int argc, char **argv)
{
    static const struct option opts[] = {
        {"schema", required_argument, NULL, 's'},
        {"secret-file", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *schema_path = NULL, *secret_path = NULL, *out_path = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:k:o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 's': schema_path = optarg; break;
        case 'k': secret_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'f': force = 1; break;
        case 'h': return print_help(ENCODE_HELP);
        default: return option_error("encode", c, argv, opts);
        }
    }
    if (!schema_path)
        return usage_error("encode", "missing --schema");
    if (!secret_path)
        return usage_error("encode", "missing --secret-file");
    if (optind >= argc)
        return usage_error("encode", "missing the input CSV file");
    if (argc - optind > 1)
        return usage_error("encode", "unexpected argument '%s'", argv[optind + 1]);
    const char *input = argv[optind];
    if (!out_path)
        out_path = "-";
    if (strcmp(input, "-") == 0 && (strcmp(schema_path, "-") == 0 || strcmp(secret_path, "-") == 0))
        return usage_error("encode", "standard input can be used for one file only");
    if (output_taken("encode", out_path, force))
        return EXIT_IO;

    tznr_schema_t *schema = NULL;
    tznr_encoder_t *enc = NULL;
    tznr_clkset_t *set = NULL;
    int status;
    tznr_error_t rc = tznr_schema_new_from_file(&schema, schema_path);
    if (rc) {
        status = report("encode", rc);
        goto done;
    }
    rc = tznr_encoder_new_from_secret_file(&enc, schema, secret_path);
    if (rc) {
        status = report_data("encode", rc);
        goto done;
    }
    rc = tznr_encoder_encode_csv(enc, input, &set);
    if (rc) {
        status = report("encode", rc);
        goto done;
    }
    rc = tznr_clkset_write_json(set, out_path, force);
    status = rc ? report("encode", rc) : EXIT_OK;
done:
    tznr_clkset_free(set);
    tznr_encoder_free(enc);
    tznr_schema_free(schema);
    return status;
}

