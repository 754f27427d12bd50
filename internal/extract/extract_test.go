package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDetect(t *testing.T) {
	e := newExtractor(t, Config{})
	docx := makeZip(t, []zipEntry{
		{name: "[Content_Types].xml", body: `<Types/>`},
		{name: "word/document.xml", body: `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>hello</w:t></w:r></w:p></w:body></w:document>`},
	})
	// The same DOCX with a leading entry mimetype does not know: only the
	// entry list tells what it is.
	docxLate := makeZip(t, []zipEntry{
		{name: "aaa.bin", body: strings.Repeat("x", 4000), store: true},
		{name: "word/document.xml", body: `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>late</w:t></w:r></w:p></w:body></w:document>`},
	})
	tests := []struct {
		name   string
		file   string
		data   []byte
		format string
		err    error
	}{
		{"markdown", "a.md", []byte("# Title\n\nSome *text*.\n"), "text", nil},
		{"csv", "a.csv", []byte("a,b,c\n1,2,3\n"), "text", nil},
		{"json", "a.json", []byte(`{"invoice": 1}`), "text", nil},
		{"text without extension", "README", []byte("plain words here\n"), "text", nil},
		{"html by content", "page.txt", []byte("<!DOCTYPE html><html><body><p>x</p></body></html>"), "html", nil},
		{"pdf named txt", "x.txt", buildPDF(t, []pdfPage{{Lines: []string{"hello pdf with enough words to count as text"}}}), "pdf", nil},
		{"docx named pdf", "x.pdf", docx, "docx", nil},
		{"docx found by entries", "x.zip", docxLate, "docx", nil},
		{"mail by content", "message", []byte("From: a@example.com\nTo: b@example.com\nSubject: hi\n\nbody\n"), "eml", nil},
		{"subject-only text stays text", "mail.txt", []byte("Subject: hello\nnot a header line\n"), "text", nil},
		{"utf16 without bom", "u.txt", []byte("h\x00e\x00l\x00l\x00o\x00 \x00w\x00o\x00r\x00l\x00d\x00"), "text", nil},
		{"binary named txt", "x.txt", []byte("\x00\x01\x02\x03binary\x00\x00\xff"), "", ErrUnsupported},
		{"random named pdf", "x.pdf", []byte("\x8a\x12\x00\x99\x00garbage\x00\x17"), "", ErrUnsupported},
		{"plain zip", "x.zip", makeZip(t, []zipEntry{{name: "a.txt", body: "x"}}), "zip", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := e.Extract(context.Background(), writeFile(t, tt.file, tt.data), Options{})
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if doc.Format != tt.format {
				t.Fatalf("format = %q, want %q", doc.Format, tt.format)
			}
		})
	}
}

func TestRefusesNonRegular(t *testing.T) {
	e := newExtractor(t, Config{})
	dir := t.TempDir()
	target := filepath.Join(dir, "real.txt")
	if err := os.WriteFile(target, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe.txt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{
		{"symlink", link},
		{"fifo", fifo},
		{"directory", dir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := e.Extract(context.Background(), tc.path, Options{})
				done <- err
			}()
			select {
			case err := <-done:
				wantErr(t, err, ErrNotRegular)
			case <-time.After(10 * time.Second):
				t.Fatal("Extract hung")
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := e.Extract(context.Background(), filepath.Join(dir, "nope"), Options{})
		wantErr(t, err, os.ErrNotExist)
	})
}

func TestBudgets(t *testing.T) {
	t.Run("empty file", func(t *testing.T) {
		_, err := newExtractor(t, Config{}).Extract(context.Background(), writeFile(t, "empty.pdf", nil), Options{})
		wantErr(t, err, ErrEmpty)
	})
	t.Run("byte budget", func(t *testing.T) {
		e := newExtractor(t, Config{MaxBytes: 100})
		_, err := e.Extract(context.Background(), writeFile(t, "big.txt", []byte(strings.Repeat("a", 101))), Options{})
		wantErr(t, err, ErrTooLarge)
	})
	t.Run("text budget", func(t *testing.T) {
		e := newExtractor(t, Config{MaxText: 1000})
		doc := mustExtract(t, e, writeFile(t, "long.txt", []byte(strings.Repeat("é word ", 5000))), Options{})
		if !doc.Truncated || len(doc.Text) > 1000 || len(doc.Text) < 900 {
			t.Fatalf("truncated=%v len=%d", doc.Truncated, len(doc.Text))
		}
		if !strings.HasSuffix(doc.Text, "word") && !strings.HasSuffix(doc.Text, "é") && !strings.HasSuffix(doc.Text, "wor") {
			// Any cut is fine as long as the text is valid UTF-8.
			for _, r := range doc.Text {
				if r == '\ufffd' {
					t.Fatal("cut inside a rune")
				}
			}
		}
	})
	t.Run("time budget", func(t *testing.T) {
		e := newExtractor(t, Config{Timeout: time.Nanosecond})
		_, err := e.Extract(context.Background(), writeFile(t, "a.txt", []byte("hello")), Options{})
		wantErr(t, err, ErrTimeout)
	})
	t.Run("caller cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newExtractor(t, Config{}).Extract(ctx, writeFile(t, "a.html", []byte("<p>hello</p>")), Options{})
		wantErr(t, err, context.Canceled)
	})
}

func TestPanicIsolation(t *testing.T) {
	e := newExtractor(t, Config{})
	testHookFormat = func(format string) {
		if format == "html" {
			panic("boom")
		}
	}
	defer func() { testHookFormat = nil }()
	_, err := e.Extract(context.Background(), writeFile(t, "a.html", []byte("<p>hi</p>")), Options{})
	wantErr(t, err, ErrPanic)
	// The next file is unaffected.
	doc := mustExtract(t, e, writeFile(t, "a.txt", []byte("still fine")), Options{})
	if doc.Text != "still fine" {
		t.Fatalf("text = %q", doc.Text)
	}
}

func TestTextHelper(t *testing.T) {
	text, err := Text(context.Background(), writeFile(t, "a.txt", []byte("one\r\ntwo\r\n")))
	if err != nil || text != "one\ntwo" {
		t.Fatalf("Text = %q, %v", text, err)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb\rc\n", "a\nb\nc"},
		{"  lead\n\n\n\ntrail   \n", "lead\n\ntrail"},
		{"x\x00y\x07z", "xyz"},
		{"\ufeffbom", "bom"},
		{"tab\tkept", "tab\tkept"},
		{"space before newline   \nnext", "space before newline\nnext"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorsWrapPath(t *testing.T) {
	p := writeFile(t, "x.bin", []byte{0, 1, 2, 3, 0, 0, 0, 9})
	_, err := newExtractor(t, Config{}).Extract(context.Background(), p, Options{})
	if err == nil || !strings.Contains(err.Error(), "extract "+p) || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("CACHE_DIRECTORY", "")
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if got := DefaultCacheDir(); got != "/x/cache/classifyd/pdfium" {
		t.Errorf("XDG_CACHE_HOME: %q", got)
	}
	t.Setenv("CACHE_DIRECTORY", "/var/cache/classifyd:/var/cache/other")
	if got := DefaultCacheDir(); got != "/var/cache/classifyd/pdfium" {
		t.Errorf("systemd CacheDirectory=: %q", got)
	}
}
