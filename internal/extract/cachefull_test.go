package extract

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPDFCacheUnwritable: a PDFium cache folder on a full filesystem (as
// root: a full tmpfs; otherwise a folder that cannot be made) does not fail
// PDFs: PDFium is compiled without the cache.
func TestPDFCacheUnwritable(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "file", "pdfium-cache") // "file" is a regular file
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	if os.Geteuid() == 0 {
		mnt := filepath.Join(dir, "st")
		os.Mkdir(mnt, 0o755)
		if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).Run(); err == nil {
			t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
			cache = filepath.Join(mnt, "pdfium-cache")
			os.Mkdir(cache, 0o700)
			f, _ := os.Create(filepath.Join(mnt, "filler"))
			for buf := make([]byte, 4096); ; {
				if _, err := f.Write(buf); err != nil {
					break
				}
			}
			f.Close()
		}
	}
	e := newExtractor(t, Config{CacheDir: cache, Workers: 1})
	doc := mustExtract(t, e, writeFile(t, "m.pdf", markerPDF(t, 1)), Options{})
	if doc.Pages != 1 {
		t.Fatalf("pages %d", doc.Pages)
	}
}
