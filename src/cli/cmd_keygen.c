/* tznr keygen: a new shared secret in a key file. */
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

const char KEYGEN_HELP[] =
    "Usage: tznr keygen --output KEY [--force]\n"
    "\n"
    "Create a new secret for the data custodians: 256 bits from OpenSSL's random generator,\n"
    "written as base64 text to the file KEY (mode 0600, written atomically). Share it with\n"
    "the other custodians over a secure channel; never give it to the linkage unit. The\n"
    "secret is never printed.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE       the key file to create (required; \"-\" is refused)\n"
    "  -f, --force             replace FILE if it exists\n"
    "  -h, --help              show this help and exit\n"
    "\n";

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'f': force = 1; break;
        case 'h': return print_help(KEYGEN_HELP);
        default: return option_error("keygen", c, argv, opts);
        }
    }
    if (!out_path)
        return usage_error("keygen", "missing --output");
    if (strcmp(out_path, "-") == 0)
        return usage_error("keygen", "a secret is never written to standard output");
    if (optind < argc)
        return usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (output_taken("keygen", out_path, force))
        return EXIT_IO;
    tznr_error_t rc = tznr_secret_generate_file(out_path, force);
    return rc ? report("keygen", rc) : EXIT_OK;
}

