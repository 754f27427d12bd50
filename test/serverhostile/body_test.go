package serverhostile_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/server"
)

// sendHuge writes a request declaring a body of total bytes (head, then
// filler bytes) on a raw connection, as fast as the server takes it, until
// the server answers. It returns the answer's status and how many body
// bytes the connection accepted.
func sendHuge(t *testing.T, f *fixture, path, contentType, head string, total int64) (int, int64) {
	t.Helper()
	conn, err := net.Dial("tcp", f.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: %s\r\nContent-Length: %d\r\n\r\n", path, apiKey, contentType, total)
	type result struct {
		status int
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			got <- result{0, err}
			return
		}
		resp.Body.Close()
		got <- result{resp.StatusCode, nil}
	}()
	sent := int64(0)
	n, _ := conn.Write([]byte(head))
	sent += int64(n)
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	deadline := time.Now().Add(30 * time.Second)
	for sent < total {
		select {
		case r := <-got:
			if r.err != nil {
				t.Fatalf("no answer: %v", r.err)
			}
			return r.status, sent
		default:
		}
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := conn.Write(chunk[:min(int64(len(chunk)), total-sent)])
		sent += int64(n)
		if err != nil && !isTimeout(err) {
			break // the server closed the connection
		}
		if time.Now().After(deadline) {
			t.Fatal("server neither answered nor closed within 30 s")
		}
	}
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("no answer after %d bytes: %v", sent, r.err)
		}
		return r.status, sent
	case <-time.After(30 * time.Second):
		t.Fatalf("no answer after %d bytes", sent)
		return 0, sent
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// storedFiles lists the regular files under the backend's files folder.
func storedFiles(t *testing.T, f *fixture) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(f.dataDir, "files"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestOversizedBodies: a body over the limit is answered 413 long before
// it is all sent, and leaves nothing behind.
func TestOversizedBodies(t *testing.T) {
	const huge = 1 << 30 // declared; never sent in full
	mpHead := "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nclassify\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n" +
		"Content-Type: text/plain\r\n\r\n"
	cases := []struct {
		name       string
		localOpts  local.Options
		mod        func(*server.Options)
		path, ct   string
		head       string
		limitBytes int64 // the limit that applies
	}{
		{name: "JSON job over the JSON limit (default 1 MiB)", path: "/api/v1/classifier/jobs",
			ct: "application/json", head: `{"file_ids": ["`, limitBytes: server.DefaultMaxJSONBytes},
		{name: "multipart upload over the body limit", path: "/api/v1/beta/files",
			mod: func(o *server.Options) { o.MaxBodyBytes = 2 << 20 }, ct: "multipart/form-data; boundary=XyZ",
			head: mpHead, limitBytes: 2 << 20},
		{name: "multipart upload over the backend's file limit", path: "/api/v1/beta/files",
			localOpts: local.Options{MaxUploadBytes: 1 << 20}, ct: "multipart/form-data; boundary=XyZ",
			head: mpHead, limitBytes: 1 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.localOpts, c.mod)
			status, sent := sendHuge(t, f, c.path, c.ct, c.head, huge)
			t.Logf("answered %d after %d MiB of a declared %d MiB", status, sent>>20, int64(huge)>>20)
			if status != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", status)
			}
			// The connection takes what the socket buffers hold beyond
			// what the server read; far from all of it.
			if sent > c.limitBytes+64<<20 {
				t.Errorf("the server took %d MiB of a body limited to %d MiB", sent>>20, c.limitBytes>>20)
			}
			if files := storedFiles(t, f); len(files) > 0 {
				t.Errorf("refused upload left files behind: %v", files)
			}
			a := f.do(t, "GET", "/api/v1/beta/files", "", nil)
			a.wantStatus(t, http.StatusOK)
			if strings.Contains(string(a.body), `"id"`) {
				t.Errorf("refused upload is listed: %s", a.body)
			}
		})
	}
}

// TestMalformedJobBodies: whatever arrives as a job body, the answer is a
// 4xx in the API's error shape, never a 5xx.
func TestMalformedJobBodies(t *testing.T) {
	f := newFixture(t, local.Options{}, nil)
	file := f.upload(t, "invoice.txt", texts["invoice"])
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	valid := `{"file_ids":["` + file.ID + `"],"rules":[{"type":"invoice","description":"amount due"}]}`
	cases := []struct {
		name, ct, body string
		want           int
	}{
		{"empty body", "application/json", "", 422},
		{"truncated object", "application/json", `{"file_ids": [`, 422},
		{"null", "application/json", "null", 422},
		{"array", "application/json", "[]", 422},
		{"string", "application/json", `"jobs"`, 422},
		{"number", "application/json", "12", 422},
		{"two objects", "application/json", valid + valid, 422},
		{"file_ids a string", "application/json", `{"file_ids":"x","rules":[]}`, 422},
		{"rules an object", "application/json", `{"file_ids":["x"],"rules":{"type":"a"}}`, 422},
		{"number overflow", "application/json", `{"file_ids":[1e400],"rules":[]}`, 422},
		{"invalid UTF-8", "application/json", "{\"file_ids\":[\"\xff\xfe\"],\"rules\":[{\"type\":\"\xc3\",\"description\":\"\xed\xa0\x80\"}]}", 422},
		{"NUL bytes", "application/json", "{\"file_ids\":[\"\x00\"],\"rules\":[]}", 422},
		{"empty lists", "application/json", `{"file_ids":[],"rules":[]}`, 422},
		{"unknown file", "application/json", `{"file_ids":["00000000-0000-0000-0000-000000000000"],"rules":[{"type":"a","description":"b"}]}`, 422},
		{"1e5 nested arrays", "application/json", deep("[", "]", 100_000), 422},
		{"1e5 nested arrays in file_ids", "application/json",
			`{"file_ids":` + deep("[", "]", 100_000) + `,"rules":[]}`, 422},
		{"1e5 nested objects", "application/json", deep(`{"a":`, "}", 100_000), 422},
		{"nested webhook headers", "application/json", `{"file_ids":["` + file.ID + `"],"rules":[{"type":"a","description":"b"}],` +
			`"webhook_configurations":[{"webhook_url":"http://127.0.0.1:9/","webhook_headers":{"X":` + deep("[", "]", 20_000) + `}}]}`, 422},
		{"negative max_pages", "application/json", `{"file_ids":["` + file.ID + `"],"rules":[{"type":"a","description":"b"}],"parsing_configuration":{"max_pages":-1}}`, 422},
		{"huge max_pages", "application/json", `{"file_ids":["` + file.ID + `"],"rules":[{"type":"a","description":"b"}],"parsing_configuration":{"max_pages":99999999999999999999}}`, 422},
		{"bad mode", "application/json", `{"file_ids":["` + file.ID + `"],"rules":[{"type":"a","description":"b"}],"mode":"TURBO"}`, 422},
		{"webhook to a file URL", "application/json", `{"file_ids":["` + file.ID + `"],"rules":[{"type":"a","description":"b"}],"webhook_configurations":[{"webhook_url":"file:///etc/passwd"}]}`, 422},
		{"text/plain", "text/plain", valid, 422},
		{"form", "application/x-www-form-urlencoded", "file_ids=x&rules=y", 422},
		{"multipart", "multipart/form-data; boundary=x", "--x--\r\n", 422},
		{"garbage content type", ";;;=", valid, 422},
		{"json lookalike", "application/jsonx", valid, 422},
		{"valid, JSON with charset", "application/json; charset=utf-8", valid, 200},
		{"valid, vendor +json", "application/vnd.classifyd+json", valid, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := f.do(t, "POST", "/api/v1/classifier/jobs", c.ct, strings.NewReader(c.body))
			a.wantStatus(t, c.want)
		})
	}

	t.Run("other methods and paths", func(t *testing.T) {
		for _, r := range []struct {
			method, path string
			want         int
		}{
			{"PUT", "/api/v1/classifier/jobs", 405},
			{"DELETE", "/api/v1/classifier/jobs/x", 405},
			{"GET", "/api/v1/classifier/jobs/..%2f..%2fetc%2fpasswd", 404},
			{"GET", "/api/v1/classifier/jobs/" + strings.Repeat("a", 10000), 404},
			{"GET", "/api/v1/classifier/jobs/x/results?page_size=-1", 422},
			{"GET", "/api/v1/classifier/jobs?page_size=1e99", 422},
			{"GET", "/api/v1/classifier/jobs?page_token=%00%ff", 422},
			{"GET", "/api/v1/beta/files/%2e%2e", 404},
			{"GET", "/nowhere", 404},
		} {
			a := f.do(t, r.method, r.path, "", nil)
			if a.status != r.want {
				t.Errorf("%s %s: %d, want %d: %.200s", r.method, r.path, a.status, r.want, a.body)
			}
		}
	})
}

func TestMain(m *testing.M) {
	if os.Getenv(netnsChildEnv) == "1" {
		if err := loopbackUp(); err != nil {
			fmt.Fprintln(os.Stderr, "bring up lo:", err)
			os.Exit(3)
		}
	}
	os.Exit(m.Run())
}
