/* aggseries: the one series of an aggregator and its sinks (see aggseries.h). */
#include "aggseries.h"
#include "log.h"
#include "opts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int aggseries_load(series_t *out, const char *ticker, const char *option)
{
    series_set_t set;
    char err[400], var[64], msg[480];
    if (series_load(&set, ticker, NULL, err, sizeof err) < 0) {
        /* lib/series names the key and value of a bad definition, not always the variable */
        size_t k = (size_t)snprintf(var, sizeof var, "SERIES_");
        for (const char *p = ticker; *p && k + 1 < sizeof var; p++)
            var[k++] = (char)toupper((unsigned char)*p);
        var[k] = '\0';
        if (!strstr(err, "SERIES_") && getenv(var))
            snprintf(msg, sizeof msg, "%s=\"%s\": %s", var, getenv(var), err);
        else snprintf(msg, sizeof msg, "%s", err);
        opts_die(option, ticker, msg);
        return -1;
    }
    if (set.n != 1) {
        opts_die(option, ticker, "one series per process (run one aggregator per series)");
        return -1;
    }
    *out = set.s[0];
    return 0;
}

void aggseries_rename(const series_t *s, const char *base)
{
    if (strcmp(opts_common.name, base)) return; /* --name given */
    char name[96];
    series_program(s, base, name, sizeof name);
    free(opts_common.name);
    opts_common.name = xstrdup(name);
    log_init(name, log_level);
}

int aggseries_test(void)
{
    series_t s;
    char name[64];
    if (aggseries_load(&s, "kxeth15m", "series") < 0 || strcmp(s.ticker, "KXETH15M") ||
        strcmp(s.pair, "ETH-USD")) {
        fprintf(stderr, "aggseries_test: KXETH15M not loaded\n");
        return -1;
    }
    series_program(&s, "aggregator", name, sizeof name);
    if (strcmp(name, "aggregator-kxeth15m")) {
        fprintf(stderr, "aggseries_test: name %s\n", name);
        return -1;
    }
    if (aggseries_load(&s, "KXBTC15M", "series") < 0) return -1;
    series_program(&s, "sink-jsonl", name, sizeof name);
    if (strcmp(name, "sink-jsonl")) {
        fprintf(stderr, "aggseries_test: KXBTC15M's name %s\n", name);
        return -1;
    }
    return 0;
}
