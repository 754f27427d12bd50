package serverhostile_test

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// TestUploadNamesStayInside: file names that try to leave the data folder
// are stored under the server's own name inside it, and the name the API
// returns is a plain base name.
func TestUploadNamesStayInside(t *testing.T) {
	f := newFixture(t, local.Options{}, nil)
	root := filepath.Dir(f.dataDir)
	escape := filepath.Join(root, "escaped.txt")
	long := strings.Repeat("a", 10_000) + ".txt"
	cases := []struct {
		name        string
		disposition string
	}{
		{"parent directories", `form-data; name="file"; filename="../../etc/passwd"`},
		{"parents to a sibling of the data folder", `form-data; name="file"; filename="../../../escaped.txt"`},
		{"absolute path", `form-data; name="file"; filename="/abs/passwd"`},
		{"absolute path to the data folder's parent", `form-data; name="file"; filename="` + escape + `"`},
		{"backslashes", `form-data; name="file"; filename="..\\..\\..\\windows\\system32\\evil.dll"`},
		{"NUL byte", "form-data; name=\"file\"; filename=\"a\x00b.txt\""},
		{"control characters", "form-data; name=\"file\"; filename=\"a\x01\x7f\x1bb.txt\""},
		{"very long", `form-data; name="file"; filename="` + long + `"`},
		{"dot dot", `form-data; name="file"; filename=".."`},
		{"dot", `form-data; name="file"; filename="."`},
		{"empty", `form-data; name="file"; filename=""`},
		{"slashes only", `form-data; name="file"; filename="///"`},
		{"RFC 2231 encoded parents", `form-data; name="file"; filename*=UTF-8''..%2F..%2F..%2Fescaped.txt`},
		{"invalid UTF-8", "form-data; name=\"file\"; filename=\"\xff\xfe.txt\""},
		{"hostile extension", `form-data; name="file"; filename="x.t/../../xt"`},
		{"extension with a path", `form-data; name="file"; filename="report.pdf/../../../escaped"`},
		{"right-to-left override", "form-data; name=\"file\"; filename=\"invoice\u202etxt.exe\""},
	}
	storedName := regexp.MustCompile(`^[0-9a-f-]+(\.[a-z0-9]+)?$`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ct := multipartUpload(t, filePart{c.disposition, texts["invoice"]})
			a := f.do(t, "POST", "/api/v1/beta/files", ct, body)
			if a.status >= 500 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			if a.status != http.StatusOK {
				a.wantStatus(t, http.StatusUnprocessableEntity)
				return
			}
			var file api.File
			a.decode(t, &file)
			n := file.Name
			switch {
			case strings.ContainsAny(n, `/\`), strings.ContainsRune(n, 0):
				t.Errorf("name %q holds a separator or NUL", n)
			case n == "" || n == "." || n == "..":
				t.Errorf("name %q", n)
			case len(n) > 255:
				t.Errorf("name of %d bytes", len(n))
			case !utf8.ValidString(n):
				t.Errorf("name %q is not UTF-8", n)
			case strings.ContainsFunc(n, unicode.IsControl):
				t.Errorf("name %q holds control characters", n)
			}
			t.Logf("stored as %q", n)
			// The same name comes back from a read, and the content is intact.
			g := f.do(t, "GET", "/api/v1/beta/files/"+file.ID, "", nil)
			g.wantStatus(t, http.StatusOK)
			var again api.File
			g.decode(t, &again)
			if again.Name != n {
				t.Errorf("read back as %q, uploaded as %q", again.Name, n)
			}
		})
	}

	// Only the database and the stored files, under the server's names, are
	// in the data folder, and nothing is beside it.
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "data" {
			t.Errorf("%s appeared beside the data folder", e.Name())
		}
	}
	stored := 0
	filepath.WalkDir(f.dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Errorf("walk %s: %v", p, err)
			return nil
		}
		rel, _ := filepath.Rel(f.dataDir, p)
		switch {
		case d.IsDir() && (rel == "." || rel == "files"):
		case rel == "local.db":
		case filepath.Dir(rel) == "files" && d.Type().IsRegular() && storedName.MatchString(d.Name()):
			stored++
		default:
			t.Errorf("unexpected entry %s (%v) in the data folder", rel, d.Type())
		}
		return nil
	})
	if stored == 0 {
		t.Error("no uploaded file stored at all")
	}
	for _, p := range []string{"/abs/passwd", "/windows", "/escaped.txt", filepath.Join(root, "..", "escaped.txt")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
}
