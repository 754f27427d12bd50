package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigState writes a state file of at least 512 KiB and returns its path.
func bigState(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(p, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		var chunk []Stat
		for j := range 200 {
			chunk = append(chunk, stat(fmt.Sprintf("/in/%d-%d.pdf", i, j), 10, fmt.Sprintf("%064d", i*1000+j)))
		}
		if _, err := s.Enqueue(chunk); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(p); fi.Size() >= 512<<10 {
			break
		}
	}
	s.Close()
	return p
}

// TestTruncatedStateFile: a state file cut to half its length is refused at
// open, read-only (status) and for writing (the daemon), with the words an
// operator looks for; nothing reads or drops memory past the mapping.
func TestTruncatedStateFile(t *testing.T) {
	p := bigState(t)
	if err := os.Truncate(p, 262144); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{true, false} {
		s, err := Open(p, Options{ReadOnly: ro})
		if err == nil {
			// Without the check, read what a status does: it may crash.
			_, err = s.Counts()
			if err == nil {
				_, err = s.List(Filed, 0)
			}
			s.Close()
		}
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "truncated or damaged") || !strings.Contains(err.Error(), "move the file aside") {
			t.Errorf("read-only %v: err = %v, want ErrDamaged with advice", ro, err)
		}
	}
}

// TestGarbageStateFile: garbage over the data pages (the two meta pages
// intact) is an error, never a panic.
func TestGarbageStateFile(t *testing.T) {
	p := bigState(t)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	page := int64(os.Getpagesize())
	junk := make([]byte, fi.Size()-2*page)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(r.Uint32())
	}
	f.WriteAt(junk, 2*page)
	f.Close()
	for _, ro := range []bool{true, false} {
		s, err := Open(p, Options{ReadOnly: ro})
		if err == nil {
			_, err = s.List(Queued, 0)
			s.Close()
		}
		if !errors.Is(err, ErrDamaged) {
			t.Errorf("read-only %v: err = %v, want ErrDamaged", ro, err)
		}
	}
}
