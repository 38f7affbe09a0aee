"""replay_check: what t_feed_record.sh and t_kalshi_replay.sh compare between
the messages a live feed published (tap) and a replay of its --record file."""
import sys


def tail(live, replay, what):
    """LIVE must be the end of REPLAY: the tap may join a publisher after its
    first messages (a subscriber connects once it sees the publisher), at
    most a quarter of them. Returns how many the tap missed."""
    k = len(replay) - len(live)
    if not live or k < 0 or k > len(replay) // 4 or live != replay[k:]:
        for i, (a, b) in enumerate(zip(live, replay[max(k, 0):])):
            if a != b:
                print('first difference at', i, '\n live:  ', a, '\n replay:', b)
                break
        sys.exit('live %d %s, replay %d' % (len(live), what, len(replay)))
    return k


def in_order(live, replay):
    """Each of LIVE (book contents, consecutive duplicates removed) appears in
    REPLAY in the same order: a throttled publisher shows a subsequence."""
    j = 0
    for b in live:
        while j < len(replay) and replay[j] != b:
            j += 1
        if j == len(replay):
            sys.exit('live book not in the replay (in order): ' + b[:200])
    return len(live)
