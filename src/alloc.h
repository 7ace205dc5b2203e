/* Internal: allocation wrappers and secure wiping. All library allocation goes through here. */
#ifndef TZNR_SRC_ALLOC_H
#define TZNR_SRC_ALLOC_H
#include <stddef.h>
void *tznr__malloc(size_t n);                 /* NULL on failure or n == 0 -> 1 byte */
void *tznr__calloc(size_t count, size_t size);/* overflow-checked */
void *tznr__realloc(void *p, size_t n);
void  tznr__free(void *p);
char *tznr__strndup(const char *s, size_t n); /* NUL-terminated copy */
void  tznr__wipe(void *p, size_t n);          /* OPENSSL_cleanse */
void  tznr__free_wiped(void *p, size_t n);    /* wipe then free; NULL ok */
#endif
