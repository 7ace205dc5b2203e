#include "alloc.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "crypto.h"

void *tznr__malloc(size_t n) { return malloc(n ? n : 1); }

void *tznr__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *tznr__realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }

void tznr__free(void *p) { free(p); }

char *tznr__strndup(const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void tznr__wipe(void *p, size_t n)
{
    if (p && n)
        tznr__cleanse(p, n);
}

void tznr__free_wiped(void *p, size_t n)
{
    if (!p)
        return;
    tznr__wipe(p, n);
    free(p);
}
