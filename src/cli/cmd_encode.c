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
    "                   [--format json|tznr] [--threads N] [--force] INPUT.csv\n"
    "\n"
    "Encode every data row of INPUT.csv (\"-\" for standard input) into a CLK, using the\n"
    "linkage schema SCHEMA.json and the secret shared by the data custodians, read from the\n"
    "file KEY (UTF-8; one trailing newline is ignored). The CLKs are written as clkhash JSON\n"
    "{\"clks\": [...]}, one per row, in row order. If any row is invalid, nothing is written\n"
    "and every failing row is reported as FILE:LINE: column 'NAME': RULE.\n"
    "With --format tznr, the output is a native container instead (docs/format.md): each\n"
    "record's identifier (the schema's linkage.idColumn), one field-level Bloom filter per\n"
    "compared field and the CLK, for probabilistic linkage (tznr link, tznr dedupe).\n"
    "\n"
    "Options:\n"
    "  -s, --schema FILE       linkage schema (clkhash v3 JSON)\n"
    "  -k, --secret-file FILE  file holding the shared secret (never printed)\n"
    "  -o, --output FILE       output file; \"-\" or no option for standard output.\n"
    "                          Written atomically: no partial file is ever left behind.\n"
    "  -f, --force             replace OUTPUT if it exists\n"
    "      --format FMT        json (clkhash CLKs, the default) or tznr (native container)\n"
    "      --threads N         encoding threads (default 0: all CPUs); the output is the\n"
    "                          same for any N\n"
    "      --no-memo           encode every token with the keyed hash, without the\n"
    "                          memo (slower; for testing: the output is the same)\n"
    "  -h, --help              show this help and exit\n"
    "\n"
    "Progress is shown on standard error when it is a terminal.\n"
    "\n";

enum { OPT_THREADS = 256, OPT_NO_MEMO, OPT_FORMAT };

int cmd_encode(int argc, char **argv)
{
    static const struct option opts[] = {
        {"schema", required_argument, NULL, 's'},
        {"secret-file", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"no-memo", no_argument, NULL, OPT_NO_MEMO},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *schema_path = NULL, *secret_path = NULL, *out_path = NULL;
    int force = 0, native = 0, c;
    tznr_encode_options eopts;
    tznr_encode_options_init(&eopts);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:k:o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 's': schema_path = optarg; break;
        case 'k': secret_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'f': force = 1; break;
        case OPT_THREADS: {
            char *end;
            errno = 0;
            unsigned long n = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] < '0' || optarg[0] > '9' || n > 256)
                return usage_error("encode", "--threads '%s' is not a number from 0 (all CPUs) "
                                   "to 256", optarg);
            eopts.threads = (unsigned)n;
            break;
        }
        case OPT_NO_MEMO: eopts.memo = TZNR_MEMO_OFF; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0)
                native = 0;
            else if (strcmp(optarg, "tznr") == 0)
                native = 1;
            else
                return usage_error("encode", "--format '%s': expected json or tznr", optarg);
            break;
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
    const cli_file files[] = {{out_path, "the output (--output)", 1},
                              {input, "the input CSV", 0},
                              {schema_path, "the schema (--schema)", 0},
                              {secret_path, "the secret (--secret-file)", 0}};
    if (files_clash("encode", files, sizeof files / sizeof *files))
        return EXIT_USAGE;
    if (output_taken("encode", out_path, force))
        return EXIT_IO;

    tznr_schema_t *schema = NULL;
    tznr_encoder_t *enc = NULL;
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
    cli_progress prog;
    cli_progress_init(&prog, "encode");
    if (prog.enabled) {
        eopts.progress = cli_progress_cb;
        eopts.progress_user = &prog;
    }
    /* CLKs are written as they are made (bounded memory), to a temporary file renamed only
     * if every row is valid; standard output gets them only once all are encoded */
    if (native) {
        tznr_container_t *cont = NULL;
        rc = tznr_encoder_encode_csv_container(enc, input, &cont);
        if (!rc)
            rc = tznr_container_write(cont, out_path, force);
        tznr_container_free(cont);
    } else {
        rc = tznr_encoder_encode_csv_to_json(enc, input, out_path, force, &eopts);
    }
    cli_progress_done(&prog);
    status = rc ? report("encode", rc) : EXIT_OK;
done:
    tznr_encoder_free(enc);
    tznr_schema_free(schema);
    return status;
}

