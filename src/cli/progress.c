/* Progress display for long runs: on stderr, only when stderr is a terminal. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, const char *label)
{
    p->label = label;
    p->enabled = isatty(STDERR_FILENO);
    p->start = now_s();
    p->last = 0;
    p->shown = 0;
}

int cli_progress_cb(uint64_t done, uint64_t total, void *user)
{
    cli_progress *p = user;
    if (!p->enabled)
        return 0;
    double t = now_s();
    if (t - p->last < 0.2 && done != total)
        return 0;
    p->last = t;
    p->shown = 1;
    double rate = t > p->start ? (double)done / (t - p->start) : 0;
    if (total)
        fprintf(stderr, "\r%s: %5.1f%% (%llu/%llu, %.3g/s)   ", p->label, 100.0 * (double)done / (double)total,
                (unsigned long long)done, (unsigned long long)total, rate);
    else
        fprintf(stderr, "\r%s: %llu (%.3g/s)   ", p->label, (unsigned long long)done, rate);
    return 0;
}

void cli_progress_done(cli_progress *p)
{
    if (p->enabled && p->shown)
        fputs("\n", stderr);
}
