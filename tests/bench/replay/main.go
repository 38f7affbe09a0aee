// replay: the load generator of `make bench` for the one-core throughput
// figures. mockx (the world) makes one message per WRITEABLE callback and so
// limits the rate below what a client can take; replay serves a corpus of
// real mockx messages (captured by feedpipe --dump) over TLS websocket as
// fast as the client reads, cycling the corpus. After the client's first text
// frame (its subscribe) it streams pre-built unmasked text frames:
//
//	-mode batch   64 KiB writes, so each TLS record carries many messages
//	-mode record  one write, so one TLS record, per message (live shape)
//
// Client frames are read and dropped; pings are answered between writes.
// Prints the listening port on stdout once ready.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/gorilla/websocket"
)

func frame(msg []byte, op byte) []byte {
	n := len(msg)
	var h []byte
	switch {
	case n < 126:
		h = []byte{0x80 | op, byte(n)}
	case n < 65536:
		h = []byte{0x80 | op, 126, byte(n >> 8), byte(n)}
	default:
		h = []byte{0x80 | op, 127, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append(h, msg...)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address")
	cert := flag.String("cert", "", "server certificate (PEM)")
	key := flag.String("key", "", "server key (PEM)")
	corpus := flag.String("corpus", "", "messages, one a line")
	mode := flag.String("mode", "batch", "batch or record")
	flag.Parse()
	f, err := os.Open(*corpus)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(64)
	}
	var frames [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			frames = append(frames, frame(append([]byte(nil), sc.Bytes()...), 1))
		}
	}
	f.Close()
	if len(frames) == 0 {
		fmt.Fprintln(os.Stderr, "replay: empty corpus")
		os.Exit(65)
	}
	// batch mode: chunks of about 64 KiB cut at frame boundaries
	var chunks [][]byte
	var cur []byte
	for _, fr := range frames {
		cur = append(cur, fr...)
		if len(cur) >= 65536 {
			chunks = append(chunks, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	if *mode == "record" {
		chunks = frames
	}
	crt, err := tls.LoadX509KeyPair(*cert, *key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(64)
	}
	ln, err := tls.Listen("tcp", *listen, &tls.Config{Certificates: []tls.Certificate{crt}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(69)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		pongs := make(chan []byte, 16)
		c.SetPingHandler(func(p string) error {
			select {
			case pongs <- frame([]byte(p), 0xA):
			default:
			}
			return nil
		})
		if _, _, err := c.ReadMessage(); err != nil { // the first subscribe
			return
		}
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		raw := c.UnderlyingConn()
		for i := 0; ; i = (i + 1) % len(chunks) {
			select {
			case p := <-pongs:
				if _, err := raw.Write(p); err != nil {
					return
				}
			default:
			}
			if _, err := raw.Write(chunks[i]); err != nil {
				return
			}
		}
	}))
}
