/* Streaming RFC 4180 reader on top of libcsv (the only module that includes <csv.h>).
 *
 * The input is read in chunks and handed to libcsv in pieces that end at the first CR or
 * LF (or at the end of the chunk). A row can only end on a terminator byte, so every piece
 * completes at most one record, which lets csv_next return one record at a time, and the
 * piece boundaries give exact physical line numbers even when quoted fields span lines.
 * Whole lines without a quote character are split at commas directly (the fast path; it
 * gives what libcsv gives, and tests compare the two).
 * Memory stays bounded by the limits: a field is abandoned as soon as libcsv's buffer grows
 * past TZNR__CSV_MAX_FIELD_BYTES. */
#include "csv.h"

#include <csv.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

#define CHUNK_BYTES ((size_t)64 * 1024)
#define CSV_BLOCK ((size_t)64 * 1024)

struct tznr__csv {
    struct csv_parser parser;
    int parser_ready;
    FILE *fp;
    int is_stdin;
    char *path;          /* for messages: as given, "<stdin>" for "-" */

    unsigned char *buf;  /* read buffer */
    size_t buf_len, buf_pos;
    int eof, started, finished;

    unsigned long line;       /* current physical line (1-based) */
    unsigned long rec_line;   /* line where the record being assembled starts */
    int prev_cr;              /* the last piece ended with CR */
    int in_record;            /* bytes of an unfinished record have been consumed */

    /* the record being assembled / the current record */
    char *arena;              /* NUL-terminated fields, back to back */
    size_t arena_len, arena_cap;
    size_t *offs;             /* start of field i in arena */
    size_t *lens;
    size_t nfields, fields_cap;
    unsigned long cur_line;   /* start line of the record returned by the last next() */

    int row_done;             /* set by the row callback */
    int no_fast_path;         /* 1 (default): every line through libcsv. The project does not
                                 parse CSV itself; the quote-free fast path stays off unless a
                                 caller enables it (tests compare both paths byte for byte) */
    tznr_error_t cb_err;      /* first error raised inside a callback */
    tznr_error_t sticky;      /* error returned earlier: the reader is unusable */
};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void *csv_realloc(void *p, size_t n) { return tznr__realloc(p, n); }
static void csv_free_fn(void *p) { tznr__free(p); }

static void on_field(void *s, size_t len, void *data)
{
    tznr__csv *r = data;
    if (r->cb_err)
        return;
    if (len > TZNR__CSV_MAX_FIELD_BYTES) {
        r->cb_err = tznr__err(TZNR_ELIMIT, "%s:%lu: field longer than 1 MiB", r->path,
                              r->rec_line);
        return;
    }
    if (r->nfields >= TZNR__CSV_MAX_FIELDS) {
        r->cb_err = tznr__err(TZNR_ELIMIT, "%s:%lu: record has more than %d fields", r->path,
                              r->rec_line, TZNR__CSV_MAX_FIELDS);
        return;
    }
    if (r->nfields == r->fields_cap) {
        size_t ncap = r->fields_cap ? r->fields_cap * 2 : 16;
        size_t *no = tznr__realloc(r->offs, ncap * sizeof *no);
        if (!no) {
            r->cb_err = tznr__err(TZNR_ENOMEM, "%s: out of memory", r->path);
            return;
        }
        r->offs = no;
        size_t *nl = tznr__realloc(r->lens, ncap * sizeof *nl);
        if (!nl) {
            r->cb_err = tznr__err(TZNR_ENOMEM, "%s: out of memory", r->path);
            return;
        }
        r->lens = nl;
        r->fields_cap = ncap;
    }
    if (r->arena_cap - r->arena_len < len + 1) {
        size_t need = r->arena_len + len + 1;
        size_t ncap = r->arena_cap ? r->arena_cap : 256;
        while (ncap < need)
            ncap *= 2;
        char *na = tznr__realloc(r->arena, ncap);
        if (!na) {
            r->cb_err = tznr__err(TZNR_ENOMEM, "%s: out of memory", r->path);
            return;
        }
        r->arena = na;
        r->arena_cap = ncap;
    }
    if (len)
        memcpy(r->arena + r->arena_len, s, len);
    r->arena[r->arena_len + len] = '\0';
    r->offs[r->nfields] = r->arena_len;
    r->lens[r->nfields] = len;
    r->nfields++;
    r->arena_len += len + 1;
}

static void on_row(int c, void *data)
{
    tznr__csv *r = data;
    (void)c;
    r->row_done = 1;
}

tznr_error_t tznr__csv_open(tznr__csv **out, const char *path)
{
    if (!out || !path)
        return tznr__err(TZNR_EINVAL, "csv_open: NULL argument");
    *out = NULL;
    tznr__csv *r = tznr__calloc(1, sizeof *r);
    if (r)
        r->no_fast_path = 1;   /* every line through libcsv by default: see the header note */
    if (!r)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    r->is_stdin = strcmp(path, "-") == 0;
    const char *name = r->is_stdin ? "<stdin>" : path;
    r->path = tznr__strndup(name, strlen(name));
    r->buf = tznr__malloc(CHUNK_BYTES);
    if (!r->path || !r->buf) {
        tznr__csv_close(r);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        tznr__csv_close(r);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    r->parser_ready = 1;
    csv_set_space_func(&r->parser, no_space);
    csv_set_realloc_func(&r->parser, csv_realloc);
    csv_set_free_func(&r->parser, csv_free_fn);
    csv_set_blk_size(&r->parser, CSV_BLOCK);
    if (r->is_stdin) {
        r->fp = stdin;
    } else {
        r->fp = fopen(path, "rb");
        if (!r->fp) {
            int e = errno;
            tznr_error_t rc = tznr__err(TZNR_EIO, "%s: cannot open: %s", path, strerror(e));
            tznr__csv_close(r);
            return rc;
        }
    }
    r->line = 1;
    *out = r;
    return TZNR_OK;
}

void tznr__csv_close(tznr__csv *r)
{
    if (!r)
        return;
    if (r->parser_ready) {
        /* wipe the personal data libcsv may still hold */
        if (r->parser.entry_buf)
            tznr__wipe(r->parser.entry_buf, csv_get_buffer_size(&r->parser));
        csv_free(&r->parser);
    }
    if (r->fp && !r->is_stdin)
        fclose(r->fp);
    tznr__free_wiped(r->buf, r->buf ? CHUNK_BYTES : 0);
    tznr__free_wiped(r->arena, r->arena_cap);
    tznr__free(r->offs);
    tznr__free(r->lens);
    tznr__free(r->path);
    tznr__free(r);
}

static tznr_error_t fail(tznr__csv *r, tznr_error_t code)
{
    r->sticky = code;
    return code;
}

static tznr_error_t parse_error(tznr__csv *r, unsigned long line)
{
    int e = csv_error(&r->parser);
    if (e == CSV_ENOMEM)
        return fail(r, tznr__err(TZNR_ENOMEM, "%s:%lu: out of memory", r->path, line));
    if (e == CSV_ETOOBIG)
        return fail(r, tznr__err(TZNR_ELIMIT, "%s:%lu: field longer than 1 MiB", r->path, line));
    return fail(r, tznr__err(TZNR_EINPUT,
                             "%s:%lu: malformed CSV: %s (a quote inside an unquoted field, or "
                             "text after a closing quote)",
                             r->path, line, csv_strerror(e)));
}

/* Refill the read buffer. Returns TZNR_OK (possibly setting r->eof) or TZNR_EIO. */
static tznr_error_t refill(tznr__csv *r)
{
    size_t n = fread(r->buf, 1, CHUNK_BYTES, r->fp);
    if (n == 0) {
        if (ferror(r->fp)) {
            int e = errno;
            return fail(r, tznr__err(TZNR_EIO, "%s: cannot read: %s", r->path, strerror(e)));
        }
        r->eof = 1;
    }
    r->buf_len = n;
    r->buf_pos = 0;
    if (!r->started && n > 0) {
        r->started = 1;
        /* A chunk is full unless the file is shorter, so the BOM is never split. */
        if (n >= 3 && r->buf[0] == 0xEF && r->buf[1] == 0xBB && r->buf[2] == 0xBF)
            r->buf_pos = 3;
    }
    return TZNR_OK;
}

/* a complete quote-free line (terminator excluded) as one record */
static void split_line(tznr__csv *r, const unsigned char *p, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == ',') {
            on_field((void *)(uintptr_t)(p + start), i - start, r);
            start = i + 1;
        }
    }
    on_field((void *)(uintptr_t)(p + start), len - start, r);
    r->row_done = 1;
}

static void reset_record(tznr__csv *r)
{
    r->nfields = 0;
    r->arena_len = 0;
    r->row_done = 0;
}

tznr_error_t tznr__csv_next(tznr__csv *r, int *got)
{
    if (!r || !got)
        return tznr__err(TZNR_EINVAL, "csv_next: NULL argument");
    *got = 0;
    if (r->sticky)
        return tznr__err(r->sticky, "%s: CSV reader stopped after an earlier error", r->path);
    if (r->finished)
        return TZNR_OK;
    reset_record(r);

    for (;;) {
        if (r->buf_pos >= r->buf_len) {
            if (!r->eof) {
                tznr_error_t rc = refill(r);
                if (rc)
                    return rc;
                continue;
            }
            /* end of input */
            r->finished = 1;
            if (!r->in_record)
                return TZNR_OK;
            if (csv_fini(&r->parser, on_field, on_row, r) != 0)
                return fail(r, tznr__err(TZNR_EINPUT,
                                         "%s:%lu: malformed CSV: quoted field not terminated "
                                         "at end of file (the record starts on this line)",
                                         r->path, r->rec_line));
            if (r->cb_err)
                return fail(r, r->cb_err);
            r->in_record = 0;
            if (r->row_done) {
                r->cur_line = r->rec_line;
                *got = 1;
            }
            return TZNR_OK;
        }

        /* one piece: up to and including the first CR or LF, or to the end of the chunk */
        const unsigned char *p = r->buf + r->buf_pos;
        size_t avail = r->buf_len - r->buf_pos, n = 0;
        int has_content = 0, has_quote = 0;
        unsigned char last = 0;
        while (n < avail) {
            unsigned char c = p[n++];
            if (c == '\r' || c == '\n') {
                last = c;
                break;
            }
            has_quote |= c == '"';
            if (c == '\0')
                return fail(r, tznr__err(TZNR_EINPUT, "%s:%lu: NUL byte in the data (the input "
                                         "must be UTF-8 text: a UTF-16 or binary file?)", r->path,
                                         r->line));
            has_content = 1;
        }
        if (!r->in_record)
            r->rec_line = r->line;
        size_t done = n;
        if (!r->in_record && last && !has_quote && !r->no_fast_path) {
            /* A whole line without a quote, libcsv between records: RFC 4180 makes its
             * fields exactly the byte ranges between commas, which is what libcsv (strict,
             * no space trimming) gives too; split it here, saving libcsv's per-byte
             * callbacks. Lines with a quote, and records spanning pieces, go to libcsv. */
            if (has_content)
                split_line(r, p, n - 1);
        } else {
            done = csv_parse(&r->parser, p, n, on_field, on_row, r);
        }
        unsigned long piece_line = r->line;
        r->buf_pos += n;
        if (last == '\n') {
            if (!(r->prev_cr && n == 1))
                r->line++;
            r->prev_cr = 0;
        } else if (last == '\r') {
            r->line++;
            r->prev_cr = 1;
        } else {
            r->prev_cr = 0;
        }
        if (done != n)
            return parse_error(r, piece_line);
        if (r->cb_err)
            return fail(r, r->cb_err);
        if (csv_get_buffer_size(&r->parser) > TZNR__CSV_MAX_FIELD_BYTES + CSV_BLOCK + 2)
            return fail(r, tznr__err(TZNR_ELIMIT, "%s:%lu: field longer than 1 MiB", r->path,
                                     r->rec_line));
        if (r->row_done) {
            r->in_record = 0;
            r->cur_line = r->rec_line;
            *got = 1;
            return TZNR_OK;
        }
        if (has_content)
            r->in_record = 1;
    }
}

size_t tznr__csv_nfields(const tznr__csv *r) { return r ? r->nfields : 0; }

const char *tznr__csv_field(const tznr__csv *r, size_t i, size_t *len)
{
    if (!r || i >= r->nfields) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = r->lens[i];
    return r->arena + r->offs[i];
}

unsigned long tznr__csv_line(const tznr__csv *r) { return r ? r->cur_line : 0; }

void tznr__csv_set_fast_path(tznr__csv *r, int on)
{
    if (r)
        r->no_fast_path = !on;
}

const char *tznr__csv_path(const tznr__csv *r) { return r ? r->path : NULL; }
