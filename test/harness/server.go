package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/server"
)

// Server is an API server for the daemon to talk to: either internal/server
// over internal/local with the keyword classifier, in this process, or a
// `classifyd serve` subprocess. Either way it outlives the daemon's kills.
type Server struct {
	URL string

	backend *local.Backend
	http    *httptest.Server
	proc    *Proc
}

// StartServer serves the API in-process with its data under dataDir; it is
// closed when the test ends.
func StartServer(t testing.TB, dataDir string) *Server {
	t.Helper()
	s := &Server{}
	var srv *server.Server
	b, err := local.New(local.Options{
		Classifier:  local.KeywordClassifier{PDFToText: "-"},
		DataDir:     dataDir,
		OnJobDone:   func(j api.ClassifyJob) { srv.JobDone(j) },
		OnFileStart: func(id string) { srv.FileStarted(id) },
	})
	if err != nil {
		t.Fatalf("local backend: %v", err)
	}
	srv = server.New(server.Options{Backend: b})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() { defer close(runDone); b.Run(ctx) }()
	s.backend = b
	s.http = httptest.NewServer(srv)
	s.URL = s.http.URL
	t.Cleanup(func() {
		s.http.CloseClientConnections()
		s.http.Close()
		cancel()
		<-runDone
		b.Close()
	})
	return s
}

// StartServeProcess runs `classifyd serve --listen 127.0.0.1:PORT --data
// dataDir` and waits until /healthz answers. It reports ok=false (and starts
// nothing) when the binary has no working serve command.
func StartServeProcess(t testing.TB, bin, dataDir, logPath string) (s *Server, ok bool) {
	t.Helper()
	p, err := Start(bin, []string{"serve", "--help"}, logPath, ProcOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Wait(10*time.Second) != nil || strings.Contains(Tail(logPath, 3), "not implemented") {
		return nil, false
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p, err = Start(bin, []string{"serve", "--listen", addr, "--data", dataDir}, logPath, ProcOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(10 * time.Second) })
	url := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("classifyd serve did not come up on %s:\n%s", addr, Tail(logPath, 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &Server{URL: url, proc: p}, true
}

// Files lists every file the server holds, page by page through the HTTP API.
func (s *Server) Files(ctx context.Context) ([]api.File, error) {
	return ListFiles(ctx, s.URL)
}

// ListFiles lists every file of the API server at base (GET
// /api/v1/beta/files, following next_page_token).
func ListFiles(ctx context.Context, base string) ([]api.File, error) {
	var out []api.File
	token := ""
	for pages := 0; ; pages++ {
		if pages > 100000 {
			return nil, fmt.Errorf("list files: too many pages")
		}
		q := url.Values{"page_size": {"1000"}}
		if token != "" {
			q.Set("page_token", token)
		}
		var page api.Page[api.File]
		if err := getJSON(ctx, base+"/api/v1/beta/files?"+q.Encode(), &page); err != nil {
			return nil, fmt.Errorf("list files: %w", err)
		}
		out = append(out, page.Items...)
		if page.NextPageToken == nil || *page.NextPageToken == "" {
			return out, nil
		}
		token = *page.NextPageToken
	}
}

// ListJobs lists every job of the API server at base.
func ListJobs(ctx context.Context, base string) ([]api.ClassifyJob, error) {
	var out []api.ClassifyJob
	token := ""
	for pages := 0; ; pages++ {
		if pages > 100000 {
			return nil, fmt.Errorf("list jobs: too many pages")
		}
		q := url.Values{"page_size": {"1000"}}
		if token != "" {
			q.Set("page_token", token)
		}
		var page api.Page[api.ClassifyJob]
		if err := getJSON(ctx, base+"/api/v1/classifier/jobs?"+q.Encode(), &page); err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, page.Items...)
		if page.NextPageToken == nil || *page.NextPageToken == "" {
			return out, nil
		}
		token = *page.NextPageToken
	}
}

func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

// Upload is one file the server received from the daemon, parsed from its
// external_file_id "classifyd-<record id>-<sha256 prefix>".
type Upload struct {
	FileID    string
	Record    uint64
	SHAPrefix string
	Created   time.Time
}

// Uploads parses the daemon's uploads out of a file listing.
func Uploads(files []api.File) ([]Upload, error) {
	var out []Upload
	for _, f := range files {
		ext := api.Deref(f.ExternalFileID)
		rest, ok := strings.CutPrefix(ext, "classifyd-")
		if !ok {
			return nil, fmt.Errorf("file %s: external_file_id %q is not the daemon's", f.ID, ext)
		}
		idStr, prefix, ok := strings.Cut(rest, "-")
		id, err := strconv.ParseUint(idStr, 10, 64)
		if !ok || err != nil || prefix == "" {
			return nil, fmt.Errorf("file %s: external_file_id %q is not classifyd-<id>-<sha>", f.ID, ext)
		}
		u := Upload{FileID: f.ID, Record: id, SHAPrefix: prefix}
		if f.CreatedAt != nil {
			u.Created = *f.CreatedAt
		}
		out = append(out, u)
	}
	return out, nil
}

// StoredSHAs hashes every file under an in-process server's data folder
// (the uploaded bytes), for tests that must prove some content never
// reached the server.
func StoredSHAs(dataDir string) (map[string]bool, error) {
	out := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(dataDir, "files"), func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		sum, err := FileSHA(p)
		if err == nil {
			out[sum] = true
		}
		return nil
	})
	return out, err
}

// JobResults lists every result item of one job of the API server at base.
func JobResults(ctx context.Context, base, jobID string) ([]api.ResultItem, error) {
	var out []api.ResultItem
	token := ""
	for pages := 0; ; pages++ {
		if pages > 100000 {
			return nil, fmt.Errorf("job %s results: too many pages", jobID)
		}
		q := url.Values{"page_size": {"1000"}}
		if token != "" {
			q.Set("page_token", token)
		}
		var page api.Page[api.ResultItem]
		if err := getJSON(ctx, base+"/api/v1/classifier/jobs/"+url.PathEscape(jobID)+"/results?"+q.Encode(), &page); err != nil {
			return nil, fmt.Errorf("job %s results: %w", jobID, err)
		}
		out = append(out, page.Items...)
		if page.NextPageToken == nil || *page.NextPageToken == "" {
			return out, nil
		}
		token = *page.NextPageToken
	}
}
