// gofeed: the Go peer of `make bench`, in the shape of the Go collector it
// replaces (one goroutine per feed, gorilla/websocket, encoding/json).
//
// A reader goroutine calls ReadMessage on a TLS websocket verified against
// -ca-file and hands each message over a channel to the feed goroutine,
// which decodes it with json.Unmarshal into typed structs, keeps the L2 book
// (float64 prices in sorted slices), checks Kraken's CRC32 over the top 10 and
// Coinbase's sequence_num (a failure re-subscribes the book), normalizes to
// tickbus's quote/book/trade messages with the same envelope and writes them
// as "topic json\n" lines to stdout: Debian has no Go ZeroMQ binding, so a
// pipe stands in for the bus (one write(2) per input message that produced
// output). A 100 ms ticker publishes book.* at most 10/s and at least 1/s.
// No reconnect, no stale/dead timers, no heartbeat. Once a second it prints
//
//	stats t_ns=N msgs=N cpu_ns=N quotes=N books=N trades=N resyncs=N bad=N
//
// to stderr, with the process CPU time (getrusage, all threads).
package main

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

type level struct{ px, sz float64 }

// side keeps levels sorted best first.
type side struct {
	desc bool
	lv   []level
}

func (s *side) find(px float64) int {
	if s.desc {
		return sort.Search(len(s.lv), func(i int) bool { return s.lv[i].px <= px })
	}
	return sort.Search(len(s.lv), func(i int) bool { return s.lv[i].px >= px })
}

func (s *side) set(px, sz float64) {
	i := s.find(px)
	found := i < len(s.lv) && s.lv[i].px == px
	switch {
	case sz == 0 && found:
		s.lv = append(s.lv[:i], s.lv[i+1:]...)
	case sz == 0:
	case found:
		s.lv[i].sz = sz
	default:
		s.lv = append(s.lv, level{})
		copy(s.lv[i+1:], s.lv[i:])
		s.lv[i] = level{px, sz}
	}
}

func (s *side) trim(n int) {
	if len(s.lv) > n {
		s.lv = s.lv[:n]
	}
}

type envelope struct {
	Src   string `json:"src"`
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
	TsRx  int64  `json:"ts_rx"`
	TsEx  *int64 `json:"ts_ex"`
	TsPub int64  `json:"ts_pub"`
}

type quoteMsg struct {
	envelope
	Bid     *float64 `json:"bid"`
	BidSize *float64 `json:"bid_size"`
	Ask     *float64 `json:"ask"`
	AskSize *float64 `json:"ask_size"`
}

type bookMsg struct {
	envelope
	Bids  [][2]float64 `json:"bids"`
	Asks  [][2]float64 `json:"asks"`
	Valid bool         `json:"valid"`
}

type tradeMsg struct {
	envelope
	Px   float64 `json:"px"`
	Sz   float64 `json:"sz"`
	Side string  `json:"side"`
	ID   string  `json:"id"`
}

type gapMsg struct {
	envelope
	Venue  string `json:"venue"`
	Reason string `json:"reason"`
}

type feed struct {
	venue, src, epoch  string
	depth              int
	seq                uint64
	conn               *websocket.Conn
	out                *bufio.Writer
	bids, asks         side
	valid, resyncing   bool
	dirty              bool
	bookPub            time.Time
	bookRx             int64
	bookEx             *int64
	lastQ              [4]float64
	haveQ              bool
	cbSeq              int64
	haveSeq            bool
	tQuote, tBook, tTr string
	n                  struct{ msgs, quotes, books, trades, resyncs, bad uint64 }
}

func (f *feed) env(tsRx int64, tsEx *int64) envelope {
	f.seq++
	return envelope{f.src, f.epoch, f.seq, tsRx, tsEx, time.Now().UnixNano()}
}

func (f *feed) publish(topic string, v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	f.out.WriteString(topic)
	f.out.WriteByte(' ')
	f.out.Write(b)
	f.out.WriteByte('\n')
}

func (f *feed) bookDone(tsRx int64, tsEx *int64) {
	f.bookRx, f.bookEx, f.dirty = tsRx, tsEx, true
	if !f.valid {
		return
	}
	var q [4]float64
	var qm quoteMsg
	if len(f.bids.lv) > 0 {
		q[0], q[1] = f.bids.lv[0].px, f.bids.lv[0].sz
		qm.Bid, qm.BidSize = &q[0], &q[1]
	}
	if len(f.asks.lv) > 0 {
		q[2], q[3] = f.asks.lv[0].px, f.asks.lv[0].sz
		qm.Ask, qm.AskSize = &q[2], &q[3]
	}
	if qm.Bid != nil && qm.Ask != nil && q[0] >= q[2] {
		f.invalid("crossed")
		return
	}
	if f.haveQ && q == f.lastQ {
		return
	}
	f.lastQ, f.haveQ = q, true
	qm.envelope = f.env(tsRx, tsEx)
	f.publish(f.tQuote, &qm)
	f.n.quotes++
	if time.Since(f.bookPub) >= 100*time.Millisecond {
		f.publishBook()
	}
}

func top(s *side, n int, ok bool) [][2]float64 {
	r := [][2]float64{}
	for i := 0; ok && i < n && i < len(s.lv); i++ {
		r = append(r, [2]float64{s.lv[i].px, s.lv[i].sz})
	}
	return r
}

func (f *feed) publishBook() {
	ok := f.valid && !f.resyncing
	rx, ex := f.bookRx, f.bookEx
	if rx == 0 {
		rx = time.Now().UnixNano()
	}
	if !ok {
		ex = nil
	}
	m := bookMsg{f.env(rx, ex), top(&f.bids, f.depth, ok), top(&f.asks, f.depth, ok), ok}
	f.publish(f.tBook, &m)
	f.dirty = false
	f.bookPub = time.Now()
	f.n.books++
}

func (f *feed) trade(px, sz float64, sd, id string, tsRx int64, tsEx *int64) {
	m := tradeMsg{f.env(tsRx, tsEx), px, sz, sd, id}
	f.publish(f.tTr, &m)
	f.n.trades++
}

func (f *feed) invalid(reason string) {
	if f.resyncing {
		return
	}
	f.valid, f.resyncing, f.haveQ = false, true, false
	f.n.resyncs++
	m := gapMsg{f.env(time.Now().UnixNano(), nil), f.venue, reason}
	f.publish("event.gap", &m)
	f.publishBook()
	f.resync()
}

func (f *feed) send(s string) { f.conn.WriteMessage(websocket.TextMessage, []byte(s)) }

func isoNs(s string) *int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	ns := t.UnixNano()
	return &ns
}

// --- Kraken v2 ---

type krLevel struct {
	Price float64 `json:"price"`
	Qty   float64 `json:"qty"`
}

type krMsg struct {
	Channel string `json:"channel"`
	Type    string `json:"type"`
	Method  string `json:"method"`
	Data    []struct {
		Symbol    string    `json:"symbol"`
		Bids      []krLevel `json:"bids"`
		Asks      []krLevel `json:"asks"`
		Checksum  *uint32   `json:"checksum"`
		Timestamp string    `json:"timestamp"`
		Side      string    `json:"side"`
		Price     float64   `json:"price"`
		Qty       float64   `json:"qty"`
		TradeID   int64     `json:"trade_id"`
	} `json:"data"`
}

func (f *feed) krBookSub(method string) string {
	snap := ""
	if method == "subscribe" {
		snap = `,"snapshot":true`
	}
	return fmt.Sprintf(`{"method":"%s","params":{"channel":"book","symbol":["BTC/USD"],"depth":%d%s},"req_id":1}`,
		method, f.depth, snap)
}

func digits(b []byte, v float64, dec int) []byte {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	s = strings.TrimLeft(strings.Replace(s, ".", "", 1), "0")
	return append(b, s...)
}

func (f *feed) krChecksum() uint32 {
	b := make([]byte, 0, 512)
	for i := 0; i < 10 && i < len(f.asks.lv); i++ {
		b = digits(b, f.asks.lv[i].px, 1)
		b = digits(b, f.asks.lv[i].sz, 8)
	}
	for i := 0; i < 10 && i < len(f.bids.lv); i++ {
		b = digits(b, f.bids.lv[i].px, 1)
		b = digits(b, f.bids.lv[i].sz, 8)
	}
	return crc32.ChecksumIEEE(b)
}

func (f *feed) krHandle(raw []byte, tsRx int64) error {
	var m krMsg
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	switch m.Channel {
	case "book":
		snap := m.Type == "snapshot"
		for _, e := range m.Data {
			if e.Symbol != "BTC/USD" {
				continue
			}
			if snap {
				f.bids.lv, f.asks.lv = f.bids.lv[:0], f.asks.lv[:0]
			} else if !f.valid {
				continue
			}
			for _, l := range e.Bids {
				f.bids.set(l.Price, l.Qty)
			}
			for _, l := range e.Asks {
				f.asks.set(l.Price, l.Qty)
			}
			f.bids.trim(f.depth)
			f.asks.trim(f.depth)
			if e.Checksum != nil && f.krChecksum() != *e.Checksum {
				f.invalid("checksum")
				continue
			}
			if snap {
				f.valid, f.resyncing = true, false
			}
			f.bookDone(tsRx, isoNs(e.Timestamp))
		}
	case "trade":
		for _, t := range m.Data {
			if t.Symbol == "BTC/USD" {
				f.trade(t.Price, t.Qty, t.Side, strconv.FormatInt(t.TradeID, 10), tsRx, isoNs(t.Timestamp))
			}
		}
	}
	return nil
}

// --- Coinbase Advanced Trade ---

type cbMsg struct {
	Channel     string `json:"channel"`
	Timestamp   string `json:"timestamp"`
	SequenceNum *int64 `json:"sequence_num"`
	Events      []struct {
		Type      string `json:"type"`
		ProductID string `json:"product_id"`
		Updates   []struct {
			Side        string `json:"side"`
			PriceLevel  string `json:"price_level"`
			NewQuantity string `json:"new_quantity"`
		} `json:"updates"`
		Trades []struct {
			TradeID   string `json:"trade_id"`
			ProductID string `json:"product_id"`
			Price     string `json:"price"`
			Size      string `json:"size"`
			Side      string `json:"side"`
			Time      string `json:"time"`
		} `json:"trades"`
	} `json:"events"`
}

var cbSubs = []string{
	`{"type":"subscribe","channel":"heartbeats"}`,
	`{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}`,
	`{"type":"subscribe","product_ids":["BTC-USD"],"channel":"market_trades"}`,
	`{"type":"subscribe","product_ids":["BTC-USD"],"channel":"ticker"}`,
}

func (f *feed) cbHandle(raw []byte, tsRx int64) error {
	var m cbMsg
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	if m.SequenceNum != nil {
		if f.haveSeq && *m.SequenceNum != f.cbSeq+1 {
			f.invalid("sequence")
		}
		f.cbSeq, f.haveSeq = *m.SequenceNum, true
	}
	switch m.Channel {
	case "l2_data":
		tsEx := isoNs(m.Timestamp)
		for _, e := range m.Events {
			if e.ProductID != "BTC-USD" {
				continue
			}
			snap := e.Type == "snapshot"
			if snap {
				f.bids.lv, f.asks.lv = f.bids.lv[:0], f.asks.lv[:0]
			} else if !f.valid {
				continue
			}
			for _, u := range e.Updates {
				px, err1 := strconv.ParseFloat(u.PriceLevel, 64)
				sz, err2 := strconv.ParseFloat(u.NewQuantity, 64)
				if err1 != nil || err2 != nil {
					f.invalid("bad_level")
					return err1
				}
				if u.Side == "bid" {
					f.bids.set(px, sz)
				} else {
					f.asks.set(px, sz)
				}
			}
			f.bids.trim(f.depth)
			f.asks.trim(f.depth)
			if snap {
				f.valid, f.resyncing = true, false
			}
			f.bookDone(tsRx, tsEx)
		}
	case "market_trades":
		for _, e := range m.Events {
			if e.Type != "update" {
				continue
			}
			for _, t := range e.Trades {
				if t.ProductID != "BTC-USD" {
					continue
				}
				px, _ := strconv.ParseFloat(t.Price, 64)
				sz, _ := strconv.ParseFloat(t.Size, 64)
				f.trade(px, sz, strings.ToLower(t.Side), t.TradeID, tsRx, isoNs(t.Time))
			}
		}
	}
	return nil
}

func (f *feed) subscribe() {
	if f.venue == "kraken" {
		f.send(f.krBookSub("subscribe"))
		f.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false},"req_id":2}`)
		f.send(`{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"event_trigger":"bbo","snapshot":true},"req_id":3}`)
		return
	}
	for _, s := range cbSubs {
		f.send(s)
	}
}

func (f *feed) resync() {
	if f.venue == "kraken" {
		f.send(f.krBookSub("unsubscribe"))
		f.send(f.krBookSub("subscribe"))
		return
	}
	f.send(`{"type":"unsubscribe","product_ids":["BTC-USD"],"channel":"level2"}`)
	f.send(cbSubs[1])
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

type inMsg struct {
	raw  []byte
	tsRx int64
}

func main() {
	venue := flag.String("venue", "", "kraken or coinbase")
	url := flag.String("url", "", "wss:// URL")
	caFile := flag.String("ca-file", "", "CA (PEM) the server is verified against")
	depth := flag.Int("depth", 100, "levels per side")
	flag.Parse()
	if (*venue != "kraken" && *venue != "coinbase") || *url == "" || *caFile == "" {
		fmt.Fprintln(os.Stderr, "usage: gofeed -venue kraken|coinbase -url wss://... -ca-file PEM")
		os.Exit(64)
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gofeed:", err)
		os.Exit(64)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, ReadBufferSize: 65536,
		HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial(*url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gofeed: dial:", err)
		os.Exit(69)
	}
	var ep [8]byte
	rand.Read(ep[:])
	f := &feed{venue: *venue, src: "gofeed-" + *venue, epoch: hex.EncodeToString(ep[:]),
		depth: *depth, conn: conn, out: bufio.NewWriterSize(os.Stdout, 65536),
		bids: side{desc: true}, asks: side{},
		tQuote: "quote." + *venue + ".BTC-USD", tBook: "book." + *venue + ".BTC-USD",
		tTr: "trade." + *venue + ".BTC-USD"}
	handle := f.krHandle
	if *venue == "coinbase" {
		handle = f.cbHandle
	}
	f.subscribe()

	in := make(chan inMsg, 1024)
	go func() {
		for {
			_, raw, err := conn.ReadMessage()
			if err != nil {
				fmt.Fprintln(os.Stderr, "gofeed: read:", err)
				close(in)
				return
			}
			in <- inMsg{raw, time.Now().UnixNano()}
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(100 * time.Millisecond)
	statsT := time.NewTicker(time.Second)

	report := func() {
		fmt.Fprintf(os.Stderr, "stats t_ns=%d msgs=%d cpu_ns=%d quotes=%d books=%d trades=%d resyncs=%d bad=%d\n",
			time.Now().UnixNano(), f.n.msgs, cpuNs(), f.n.quotes, f.n.books, f.n.trades, f.n.resyncs, f.n.bad)
	}
	report()
	for {
		select {
		case m, ok := <-in:
			if !ok {
				f.out.Flush()
				os.Exit(1)
			}
			f.n.msgs++
			if handle(m.raw, m.tsRx) != nil {
				f.n.bad++
			}
			if f.out.Buffered() > 0 {
				f.out.Flush()
			}
		case <-tick.C:
			since := time.Since(f.bookPub)
			if (f.dirty && since >= 100*time.Millisecond) || since >= time.Second {
				f.publishBook()
				f.out.Flush()
			}
		case <-statsT.C:
			report()
		case <-sig:
			report()
			f.out.Flush()
			os.Exit(0)
		}
	}
}
