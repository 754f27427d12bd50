package serverhostile_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/local"
)

// Slowloris knobs: the header timeout of the server under test and how
// often the attacker sends one more byte of its headers.
var (
	slowHeaderTimeout = time.Second
	slowByteEvery     = 100 * time.Millisecond
)

// TestSlowlorisHeaders: a connection that sends its request headers one
// byte at a time is closed once the server's ReadHeaderTimeout has passed,
// long before the headers would be complete, and other clients are still
// served meanwhile.
func TestSlowlorisHeaders(t *testing.T) {
	f := newFixture(t, local.Options{}, nil)
	hs := &http.Server{Handler: f.srv, ReadHeaderTimeout: slowHeaderTimeout, IdleTimeout: time.Minute}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		io.Copy(io.Discard, conn) // returns when the server closes the connection
		closed <- time.Since(start)
	}()
	// 40 s of headers at this pace: far longer than the timeout.
	header := "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + strings.Repeat("s", int(40*time.Second/slowByteEvery)) + "\r\n\r\n"
	sent := 0
	tick := time.NewTicker(slowByteEvery)
	defer tick.Stop()
	var took time.Duration
	other := false
loop:
	for sent < len(header) {
		select {
		case took = <-closed:
			break loop
		case <-tick.C:
			if _, err := conn.Write([]byte{header[sent]}); err != nil {
				took = <-closed
				break loop
			}
			sent++
			if !other && time.Since(start) > slowHeaderTimeout/2 {
				// Meanwhile another client is served at once.
				other = true
				resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
				if err != nil {
					t.Errorf("other client: %v", err)
				} else {
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("other client: %s", resp.Status)
					}
				}
			}
		}
	}
	t.Logf("closed after %v and %d of %d header bytes", took, sent, len(header))
	if sent >= len(header) {
		t.Fatal("the server read the whole slow header")
	}
	if took < slowHeaderTimeout*9/10 || took > slowHeaderTimeout+5*time.Second {
		t.Errorf("closed after %v, want about the header timeout %v", took, slowHeaderTimeout)
	}
}

// TestServeSetsHeaderTimeouts reads cmd/classifyd/serve.go: the http.Server
// that `classifyd serve` runs must set ReadHeaderTimeout and IdleTimeout
// from its variables, and serveReadHeaderTimeout must be a positive number
// of seconds no larger than a minute.
func TestServeSetsHeaderTimeouts(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "cmd", "classifyd", "serve.go")
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]ast.Expr{}
	fields := map[string]string{} // http.Server field → expression
	ast.Inspect(af, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					vars[name.Name] = n.Values[i]
				}
			}
		case *ast.CompositeLit:
			if sel, ok := n.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Server" {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "http" {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok {
								if v, ok := kv.Value.(*ast.Ident); ok {
									fields[k.Name] = v.Name
								} else {
									fields[k.Name] = "(expression)"
								}
							}
						}
					}
				}
			}
		}
		return true
	})
	if len(fields) == 0 {
		t.Fatal("serve.go builds no http.Server literal")
	}
	for field, want := range map[string]string{"ReadHeaderTimeout": "serveReadHeaderTimeout", "IdleTimeout": "serveIdleTimeout"} {
		if got := fields[field]; got != want {
			t.Errorf("http.Server %s = %q, want %s", field, got, want)
		}
	}
	secs, ok := durationSeconds(vars["serveReadHeaderTimeout"])
	if !ok || secs <= 0 || secs > 60 {
		t.Errorf("serveReadHeaderTimeout is %v seconds (readable %v), want 0 < t <= 60", secs, ok)
	}
}

// durationSeconds evaluates N * time.Second (or time.Minute).
func durationSeconds(e ast.Expr) (float64, bool) {
	b, ok := e.(*ast.BinaryExpr)
	if !ok || b.Op != token.MUL {
		return 0, false
	}
	lit, ok := b.X.(*ast.BasicLit)
	sel, ok2 := b.Y.(*ast.SelectorExpr)
	if !ok || !ok2 {
		return 0, false
	}
	n, err := strconv.ParseFloat(lit.Value, 64)
	if err != nil {
		return 0, false
	}
	switch sel.Sel.Name {
	case "Second":
		return n, true
	case "Minute":
		return n * 60, true
	}
	return 0, false
}
