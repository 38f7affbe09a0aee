/* opts: one option table per program. The table gives --help, the TICKBUS_<PROG>_*
 * environment variables, bounds checking, and the "effective config" line.
 * Precedence: default < environment < command line. A bad value exits 64 with
 * a message naming the option and the value. */
#ifndef TB_OPTS_H
#define TB_OPTS_H

#include "util.h"

/* OPT_ENUM: one word of a fixed list, checked when it is read. DEF lists the allowed words
 * separated by '|', the default first ("rti|median"); the int written is the word's position in
 * that list, so an enum listed in the same order can be written directly. */
typedef enum { OPT_STR, OPT_INT, OPT_DBL, OPT_BOOL, OPT_LIST, OPT_ENUM } opt_type_t;

#define OPT_SECRET 1u   /* value never printed (effective config shows "set") */
#define OPT_REQUIRED 2u /* must end up non-empty */

typedef struct {
    const char *name;  /* long option without "--"; env TICKBUS_<PROG>_<NAME> (opts.c) */
    opt_type_t type;
    void *dst;         /* char ** | long * | double * | int * (bool, enum) | strlist_t * */
    const char *def;   /* default as text; NULL = unset; OPT_ENUM: the words, default first */
    double min, max;   /* bounds for OPT_INT/OPT_DBL; ignored when min > max */
    const char *env;   /* an extra variable name (the Go collector's), or NULL */
    const char *help;
    unsigned flags;
} opt_t;

/* Options every program has (docs/CONTRACT.md, 'Command lines'). */
typedef struct {
    char *name; /* --name, default the program's own name */
    char *bus;  /* --bus DIR */
    char *pub;  /* --pub ENDPOINT */
    strlist_t sub;
    strlist_t expose;  /* --expose: more endpoints the PUB binds (tcp, lib/curve) */
    char *curve_key;   /* --curve-key FILE: this host's CURVE key pair (lib/curve) */
    char *curve_allow; /* --curve-allow FILE: public keys a tcp publisher admits */
    int insecure;      /* --insecure: plain tcp allowed */
    int verbose, quiet, check;
} opts_common_t;
extern opts_common_t opts_common;

/* Parse PROG's table TBL (terminated by an entry with name NULL) plus the
 * common options. --help and --version print and exit 0; errors exit 64.
 * Positional arguments are appended to REST (may be NULL: then any positional
 * argument is an error). Initialises the log with the chosen level. */
void opts_parse(const char *prog, const char *summary, const opt_t *tbl, int argc, char **argv,
                strlist_t *rest);

/* Set every option of TBL to its default, as opts_parse does before the environment and the
 * command line: the defaults of a program's settings where nothing is parsed (tests, tools). */
void opts_defaults(const opt_t *tbl);

/* Log one info line "effective config: name=value ..." (secrets masked). */
void opts_log_effective(const char *prog, const opt_t *tbl);

/* Exit 64 with "PROG: --OPTION: bad value 'V': WHY" (for checks done after parsing). */
void opts_die(const char *option, const char *value, const char *why);

int opts_test(void);

#endif
