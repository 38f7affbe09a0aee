// gocompat FILE...: reads tickbus JSONL files the way the Go collector
// (sdibella/btc15m-data) and its readers do, and fails on any difference.
// The struct types are the collector's TickRecord and MarketSnap (field names,
// Go types, omitempty), written here from that repository's facts (see
// docs/RECORD.md "The Go collector's fields"); cmd/retrofit decodes every line
// of a file into them, so every line must decode without error. Unknown fields
// are allowed (tickbus adds its own). On top of json.Unmarshal, which accepts
// null for an int and drops extra array elements silently, each tick is
// checked against what the collector could have written: its fields present
// and never null, omitempty fields omitted instead of zero, the fields in the
// struct's relative order, books ascending by price in whole cents and
// contracts. Exit 1 on any difference.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

type TickRecord struct {
	Type     string       `json:"type"`
	Ts       string       `json:"ts"`
	BRTI     float64      `json:"brti"`
	Coinbase float64      `json:"coinbase"`
	Kraken   float64      `json:"kraken"`
	Bitstamp float64      `json:"bitstamp"`
	Binance  float64      `json:"binance"` // cmd/retrofit's copy of the struct has it
	Markets  []MarketSnap `json:"markets,omitempty"`
}

type MarketSnap struct {
	Ticker    string   `json:"ticker"`
	YesBid    int      `json:"yes_bid"`
	YesAsk    int      `json:"yes_ask"`
	LastPrice int      `json:"last_price"`
	Volume    int      `json:"volume"`
	OpenInt   int      `json:"open_interest"`
	Strike    float64  `json:"strike,omitempty"`
	SecsLeft  int      `json:"secs_left"`
	Status    string   `json:"status,omitempty"`
	Result    string   `json:"result,omitempty"`
	YesBook   [][2]int `json:"yes_book,omitempty"`
	NoBook    [][2]int `json:"no_book,omitempty"`
}

// The collector's fields in struct order; "?" marks omitempty.
var tickFields = []string{"type", "ts", "brti", "coinbase", "kraken", "bitstamp", "?markets"}
var marketFields = []string{"ticker", "yes_bid", "yes_ask", "last_price", "volume",
	"open_interest", "?strike", "secs_left", "?status", "?result", "?yes_book", "?no_book"}

type checker struct {
	errs             []string
	nerr             int
	lines, ticks, mk int
	books            int
}

func (c *checker) fail(where, f string, a ...interface{}) {
	c.nerr++
	if len(c.errs) < 25 {
		c.errs = append(c.errs, where+": "+fmt.Sprintf(f, a...))
	}
}

// keys of the JSON object RAW in order, with their raw values.
func objKeys(raw []byte) ([]string, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, fmt.Errorf("not an object")
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := vals[k]; dup {
			return nil, nil, fmt.Errorf("duplicate key %q", k)
		}
		keys = append(keys, k)
		vals[k] = v
	}
	return keys, vals, nil
}

// fields: presence, null, omitempty zero values and relative order.
func (c *checker) fields(where string, spec []string, keys []string, vals map[string]json.RawMessage) {
	pos := map[string]int{}
	for i, k := range keys {
		pos[k] = i
	}
	last, lastName := -1, ""
	for _, f := range spec {
		name, omit := strings.TrimPrefix(f, "?"), strings.HasPrefix(f, "?")
		v, ok := vals[name]
		if !ok {
			if !omit {
				c.fail(where, "%s missing (the collector always wrote it)", name)
			}
			continue
		}
		s := string(bytes.TrimSpace(v))
		if s == "null" {
			c.fail(where, "%s is null (the collector wrote a %s)", name,
				map[bool]string{true: "value or omitted it", false: "value"}[omit])
		}
		if omit && (s == "0" || s == `""` || s == "[]" || s == "0.0") {
			c.fail(where, "%s is %s: the collector omitted it (omitempty)", name, s)
		}
		if pos[name] < last {
			c.fail(where, "%s before %s: not the collector's field order", name, lastName)
		}
		last, lastName = pos[name], name
	}
}

func (c *checker) book(where, name string, raw json.RawMessage) {
	var lv [][]json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&lv); err != nil {
		c.fail(where, "%s: %v", name, err)
		return
	}
	c.books++
	prev := int64(0)
	for i, l := range lv {
		if len(l) != 2 {
			c.fail(where, "%s[%d] has %d elements, not [price, size]", name, i, len(l))
			return
		}
		px, e1 := l[0].Int64()
		sz, e2 := l[1].Int64()
		if e1 != nil || e2 != nil {
			c.fail(where, "%s[%d] %v not whole cents and contracts", name, i, l)
			return
		}
		if px < 1 || px > 99 || sz < 1 {
			c.fail(where, "%s[%d] %v: price outside 1..99 or size < 1", name, i, l)
		}
		if px <= prev {
			c.fail(where, "%s not ascending by price (Kalshi's order, best bid last) at %d", name, i)
		}
		prev = px
	}
}

func (c *checker) line(where string, line []byte) {
	c.lines++
	var rec TickRecord
	if err := json.Unmarshal(line, &rec); err != nil { // what cmd/retrofit does to every line
		c.fail(where, "json.Unmarshal into TickRecord: %v", err)
		return
	}
	if rec.Type != "tick" {
		return
	}
	c.ticks++
	if _, err := time.Parse(time.RFC3339Nano, rec.Ts); err != nil {
		c.fail(where, "ts %q: %v", rec.Ts, err)
	}
	keys, vals, err := objKeys(line)
	if err != nil {
		c.fail(where, "%v", err)
		return
	}
	c.fields(where, tickFields, keys, vals)
	if rec.BRTI < 0 || rec.Coinbase < 0 || rec.Kraken < 0 || rec.Bitstamp < 0 {
		c.fail(where, "negative price")
	}
	var mks []json.RawMessage
	if m, ok := vals["markets"]; ok {
		if err := json.Unmarshal(m, &mks); err != nil {
			c.fail(where, "markets: %v", err)
		}
	}
	for i, m := range mks {
		c.mk++
		w := fmt.Sprintf("%s markets[%d]", where, i)
		mkeys, mvals, err := objKeys(m)
		if err != nil {
			c.fail(w, "%v", err)
			continue
		}
		c.fields(w, marketFields, mkeys, mvals)
		s := rec.Markets[i]
		if s.Ticker == "" {
			c.fail(w, "empty ticker")
		}
		if s.YesBid < 0 || s.YesBid > 99 || s.YesAsk < 0 || s.YesAsk > 100 || s.LastPrice < 0 ||
			s.LastPrice > 100 || s.Volume < 0 || s.OpenInt < 0 || s.SecsLeft < 0 || s.Strike < 0 {
			c.fail(w, "value out of range: %+v", s)
		}
		if s.YesBid > 0 && s.YesAsk > 0 && s.YesBid >= s.YesAsk {
			c.fail(w, "yes_bid %d >= yes_ask %d", s.YesBid, s.YesAsk)
		}
		for _, b := range []string{"yes_book", "no_book"} {
			if raw, ok := mvals[b]; ok {
				c.book(w, b, raw)
			}
		}
		if n := len(s.YesBook); n > 0 && s.YesBook[n-1][0] > s.YesBid {
			c.fail(w, "best yes_book level %d above yes_bid %d", s.YesBook[n-1][0], s.YesBid)
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gocompat FILE.jsonl...")
		os.Exit(64)
	}
	c := &checker{}
	for _, f := range os.Args[1:] {
		fh, err := os.Open(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for n := 1; sc.Scan(); n++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			c.line(fmt.Sprintf("%s:%d", f, n), sc.Bytes())
		}
		if err := sc.Err(); err != nil {
			c.fail(f, "read: %v", err)
		}
		fh.Close()
	}
	fmt.Printf("gocompat: lines=%d ticks=%d markets=%d books=%d errors=%d\n", c.lines, c.ticks,
		c.mk, c.books, c.nerr)
	for _, e := range c.errs {
		fmt.Println("ERROR", e)
	}
	if c.nerr > 0 || c.ticks == 0 {
		os.Exit(1)
	}
}
