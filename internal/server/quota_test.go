package server

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// newLocalFixture is newFixtureAt with options for the backend.
func newLocalFixture(t *testing.T, lo local.Options, opts Options, dataDir string) *fixture {
	t.Helper()
	f := &fixture{}
	lo.Classifier = local.KeywordClassifier{}
	lo.Workers = 2
	lo.DataDir = dataDir
	lo.OnJobDone = func(j api.ClassifyJob) { f.srv.JobDone(j) }
	b, err := local.New(lo)
	if err != nil {
		t.Fatal(err)
	}
	opts.Backend = b
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testKey, keyA}
	}
	f.b, f.srv = b, New(opts)
	f.ts = httptest.NewServer(f.srv)
	ctx, cancel := context.WithCancel(context.Background())
	go b.Run(ctx)
	t.Cleanup(func() {
		f.ts.Close()
		cancel()
		b.Close()
		f.srv.Shutdown(context.Background())
	})
	return f
}

func (f *fixture) tryUpload(t *testing.T, key, name, text string) answer {
	t.Helper()
	body, ct := multipartBody(t, []part{{"purpose", "", "classify"}, {"file", name, text}})
	return f.do(t, "POST", "/api/v1/beta/files", ct, body, key)
}

func detailOf(t *testing.T, a answer) string {
	t.Helper()
	var e struct{ Detail string }
	a.json(t, &e)
	return e.Detail
}

// uploadedFiles lists the bytes under the data folder's files/ (temporary
// files included).
func uploadedFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dataDir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestUploadQuota: a tenant's uploads stop at its quota of files and of
// bytes (413 with a detail, nothing left on disk), other tenants are not
// affected, and deleting makes room again.
func TestUploadQuota(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	f := newLocalFixture(t, local.Options{Quota: local.Quota{Files: 2, Bytes: 1000}}, Options{}, dataDir)
	first := f.uploadAs(t, testKey, "", "a.txt", strings.Repeat("a", 400))
	f.uploadAs(t, testKey, "", "b.txt", strings.Repeat("b", 400))
	a := f.tryUpload(t, testKey, "c.txt", "c")
	if a.status != 413 || !strings.Contains(detailOf(t, a), "2 files") {
		t.Errorf("third file: %d %s, want 413 naming the file quota", a.status, a.body)
	}
	f.uploadAs(t, keyA, "", "other.txt", strings.Repeat("o", 900)) // another tenant's quota
	if a := f.do(t, "DELETE", "/api/v1/beta/files/"+first.ID, "", nil, testKey); a.status != 204 {
		t.Fatalf("delete: %d %s", a.status, a.body)
	}
	a = f.tryUpload(t, testKey, "big.txt", strings.Repeat("x", 700)) // 400 + 700 > 1000
	if a.status != 413 || !strings.Contains(detailOf(t, a), "1000 bytes") {
		t.Errorf("past the byte quota: %d %s, want 413 naming the byte quota", a.status, a.body)
	}
	f.uploadAs(t, testKey, "", "fits.txt", strings.Repeat("y", 600))
	if n := len(uploadedFiles(t, dataDir)); n != 3 {
		t.Errorf("%d files under files/, want 3: %v", n, uploadedFiles(t, dataDir))
	}
	u, err := f.tenant().Usage()
	if err != nil || u != (local.Usage{Bytes: 1000, Files: 2}) {
		t.Errorf("usage %+v (%v), want 1000 bytes in 2 files", u, err)
	}
}

// TestUploadRefusedWhenDiskNearlyFull: with less free space than
// MinFreeBytes (as the injected free-space function says, then on a real
// 4 MiB tmpfs when run as root) an upload is 507 with a detail and leaves
// nothing behind.
func TestUploadRefusedWhenDiskNearlyFull(t *testing.T) {
	t.Run("free space function", func(t *testing.T) {
		var free atomic.Int64
		free.Store(100 << 20)
		dataDir := filepath.Join(t.TempDir(), "data")
		f := newLocalFixture(t, local.Options{Quota: local.Quota{MinFreeBytes: 64 << 20,
			FreeSpace: func(string) (int64, error) { return free.Load(), nil }}}, Options{}, dataDir)
		f.uploadAs(t, testKey, "", "a.txt", "fits")
		free.Store(63 << 20)
		a := f.tryUpload(t, testKey, "b.txt", "does not")
		if a.status != 507 || detailOf(t, a) == "" {
			t.Errorf("nearly full: %d %s, want 507 with a detail", a.status, a.body)
		}
		if n := len(uploadedFiles(t, dataDir)); n != 1 {
			t.Errorf("%d files under files/, want 1", n)
		}
	})
	t.Run("tmpfs", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("mounting a tmpfs needs root")
		}
		dataDir := t.TempDir()
		if err := unix.Mount("tmpfs", dataDir, "tmpfs", 0, "size=4m"); err != nil {
			t.Skipf("mount tmpfs: %v", err)
		}
		t.Cleanup(func() { unix.Unmount(dataDir, unix.MNT_DETACH) })
		f := newLocalFixture(t, local.Options{Quota: local.Quota{MinFreeBytes: 1 << 20}}, Options{}, dataDir)
		a := f.tryUpload(t, testKey, "big.txt", strings.Repeat("z", 5<<20))
		if a.status != 507 || detailOf(t, a) == "" {
			t.Errorf("5 MiB onto a 4 MiB tmpfs: %d %s, want 507 with a detail", a.status, a.body)
		}
		if n := len(uploadedFiles(t, dataDir)); n != 0 {
			t.Errorf("%d files under files/, want none", n)
		}
		f.uploadAs(t, testKey, "", "small.txt", "still fine")
	})
}

// TestExpiry: uploaded files carry expires_at and are gone after FileTTL;
// finished jobs with their results are gone after JobTTL.
func TestExpiry(t *testing.T) {
	defer func(d time.Duration) { local.ExpireEvery = d }(local.ExpireEvery)
	local.ExpireEvery = 10 * time.Millisecond
	dataDir := filepath.Join(t.TempDir(), "data")
	f := newLocalFixture(t, local.Options{FileTTL: 300 * time.Millisecond, JobTTL: 300 * time.Millisecond}, Options{}, dataDir)
	file := f.uploadAs(t, testKey, "", "a.txt", "invoice total amount due")
	if file.ExpiresAt == nil || time.Until(*file.ExpiresAt) > time.Second {
		t.Errorf("expires_at %v, want within FileTTL", file.ExpiresAt)
	}
	job := f.jobAs(t, testKey, file.ID)
	deadline := time.Now().Add(10 * time.Second)
	for {
		fa := f.do(t, "GET", "/api/v1/beta/files/"+file.ID, "", nil, testKey)
		ja := f.do(t, "GET", "/api/v1/classifier/jobs/"+job.ID+"/results", "", nil, testKey)
		if fa.status == 404 && ja.status == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: file %d, job results %d; want both expired", fa.status, ja.status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(uploadedFiles(t, dataDir)); n != 0 {
		t.Errorf("%d files under files/ after expiry", n)
	}
	if u, _ := f.tenant().Usage(); u != (local.Usage{}) {
		t.Errorf("usage after expiry %+v", u)
	}
}
