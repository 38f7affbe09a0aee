/* catchup: the catch-up protocol between a publisher that keeps its recent output
 * (aggregator/history, the server, a ROUTER next to its PUB) and a reader that fetches what it
 * missed (sink/follow, the client, a DEALER). docs/CONTRACT.md, "Catch-up".
 *
 *   request  [ "since" ][ {"epoch":E,"seq":N,"after_s":S,"max":M} ]
 *   reply    [ "msg" ][ topic ][ payload ]   one per entry, in publication order, then
 *            [ "end" ][ {"epoch":E,"n":K,"more":B,"complete":B,"last_seq":N,"first_s":S} ]
 *
 * With E the publisher's epoch the entries start after seq N, else after the tick second S
 * (an entry's slot: a tick's own second, an event the second of the tick assembled next). */
#ifndef TB_CATCHUP_H
#define TB_CATCHUP_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define CATCHUP_REPLY_MAX 256 /* entries per reply; "more" asks again */

typedef struct {
    char epoch[24];  /* the reader's newest message of this publisher: its epoch ("" none) */
    uint64_t seq;    /* ... and seq */
    int64_t after_s; /* the newest tick second the reader has (-1 none) */
    int max;         /* entries per reply (<= 0: CATCHUP_REPLY_MAX) */
} catchup_req_t;

typedef struct {
    char epoch[24];    /* the publisher's */
    int n;             /* entries in this reply */
    int more;          /* more follow: ask again after last_seq */
    int complete;      /* nothing asked for had been evicted */
    uint64_t last_seq; /* the reply covers the publisher's messages up to this seq */
    int64_t first_s;   /* the oldest slot held (-1 none) */
} catchup_end_t;

/* Frames to and from text; parse returns 0 or -1 (a bad frame). fmt returns the length. */
int catchup_req_parse(const char *json, size_t len, catchup_req_t *r);
size_t catchup_req_fmt(const catchup_req_t *r, char *buf, size_t n);
int catchup_end_parse(const char *json, size_t len, catchup_end_t *e);
size_t catchup_end_fmt(const catchup_end_t *e, char *buf, size_t n);

/* The second a tick payload (envelope included) describes: its "ts" member, which the
 * aggregator writes right after "type":"tick". -1 when BODY is no tick. */
int64_t catchup_tick_s(const char *body, size_t len);

/* Read one whole message waiting on Z (never blocks): its first CATCHUP_FRAMES frames into F
 * (the caller closes them), the rest read and dropped (*EXTRA then 1), so the next message
 * starts at its own first frame. The frames kept, or -1 when nothing is waiting. */
#define CATCHUP_FRAMES 3
int catchup_recv(void *z, zmq_msg_t f[CATCHUP_FRAMES], int *extra);

int catchup_test(void);

#endif
