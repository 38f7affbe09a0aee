/* framerec: --record FILE of every websocket program (the exchange feeds and
 * feed-kalshi). Each complete text frame, as received, is appended as one line
 * "TS_RX<TAB>FRAME\n" (TS_RX: CLOCK_REALTIME ns of its arrival, as on_message
 * gets it), the format feedreplay and kalshireplay read. One write(2) per line
 * on an O_APPEND descriptor, so lines from one or more writers never
 * interleave; a short write (disk full) is cut back off the file, or, if that
 * fails, the next line starts on a new line, so a torn line never glues onto a
 * good one. A raw CR or LF inside a frame (JSON allows them only as whitespace
 * between tokens) is written as a TAB, which JSON treats alike, and counted.
 * Write errors are counted (hb), logged rate-limited and never fatal. */
#ifndef TB_FRAMEREC_H
#define TB_FRAMEREC_H

#include "jw.h"

#include <stddef.h>
#include <stdint.h>

typedef struct framerec framerec_t;

/* The option-table entry: --record FILE into the char * PATH. */
#define FRAMEREC_OPT_ENTRY(path)                                                               \
    {"record", OPT_STR, &(path), NULL, 1, 0, NULL,                                             \
     "append every websocket frame as received to FILE (TS_RX<TAB>FRAME lines, mode 0600; "   \
     "feedreplay/kalshireplay replay it)", 0}

/* For main(): NULL when PATH is NULL or empty; exits 64 naming --record when
 * PATH cannot be opened for appending. */
framerec_t *framerec_open_opt(const char *path);
void framerec_close(framerec_t **r);

/* Append one frame. 0, or -1 when the line could not be written whole. */
int framerec_write(framerec_t *r, int64_t ts_rx, const char *msg, size_t len);

/* The reader's side: LINE[0..*LEN) (newline stripped) is "TS_RX<TAB>FRAME" or
 * a plain frame. Returns the frame and sets *LEN to its length and *TS_RX to
 * the timestamp (0 for a plain frame). */
const char *framerec_split(const char *line, size_t *len, int64_t *ts_rx);

/* The hb member "record": {"file", "lines", "bytes", "errors", "newlines"}. */
void framerec_hb(const framerec_t *r, jw_t *w);

int framerec_test(void);

#endif
