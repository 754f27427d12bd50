package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/sorter"
)

func waitFiled(t *testing.T, filed <-chan sorter.Entry, name string) sorter.Entry {
	t.Helper()
	for {
		select {
		case en := <-filed:
			if filepath.Base(en.Source) == name {
				return en
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s not filed", name)
		}
	}
}

// The inbox renamed away under a running daemon: /healthz's Trouble and
// Unready name it; when a folder of its name comes back it is watched at
// once (not at the next rescan: rescans are off here), and files in it are
// filed.
func TestInboxRemovedAndRecreated(t *testing.T) {
	e := newEnv(t, "")
	d, filed, errc := runDaemon(t, e, func(o *Options) { o.InboxCheck = 20 * time.Millisecond })
	e.write("a.txt", "apple orchard harvest")
	waitFiled(t, filed, "a.txt")
	if err := d.Trouble(); err != nil || d.Unready() != nil {
		t.Fatalf("healthy daemon: %v %v", err, d.Unready())
	}

	if err := os.Rename(e.in, e.in+".away"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "trouble", 10*time.Second, func() bool {
		err := d.Trouble()
		return err != nil && strings.Contains(err.Error(), e.in) && d.Unready() != nil
	})
	// A file written into the renamed folder is not the inbox's.
	os.WriteFile(filepath.Join(e.in+".away", "away.txt"), []byte("banana fruit"), 0o644)

	if err := os.Mkdir(e.in, 0o755); err != nil {
		t.Fatal(err)
	}
	e.write("b.txt", "car engine wheels")
	waitFiled(t, filed, "b.txt")
	waitFor(t, "healthy again", 10*time.Second, func() bool { return d.Trouble() == nil && d.Unready() == nil })
	if _, err := os.Stat(filepath.Join(e.in+".away", "away.txt")); err != nil {
		t.Fatal("a file outside the inbox was taken:", err)
	}
	select {
	case err := <-errc:
		t.Fatalf("daemon stopped: %v", err)
	default:
	}
}

// An inbox that cannot be read is trouble too, and recovers.
func TestInboxUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any folder")
	}
	e := newEnv(t, "")
	d, filed, _ := runDaemon(t, e, func(o *Options) { o.InboxCheck = 20 * time.Millisecond })
	os.Chmod(e.in, 0o300)
	defer os.Chmod(e.in, 0o755)
	waitFor(t, "trouble", 10*time.Second, func() bool {
		err := d.Trouble()
		return err != nil && strings.Contains(err.Error(), "cannot") || err != nil && strings.Contains(err.Error(), "permission")
	})
	os.Chmod(e.in, 0o755)
	e.write("c.txt", "apple orchard")
	waitFiled(t, filed, "c.txt")
	waitFor(t, "healthy again", 10*time.Second, func() bool { return d.Trouble() == nil })
}

// A missing inbox at start is an error before Ready.
func TestMissingInboxAtStart(t *testing.T) {
	e := newEnv(t, "")
	os.Remove(e.in)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ready := false
	_, err := e.run(ctx, e.localBackend(ctx), func(o *Options) {
		o.Once = false
		o.Ready = func() { ready = true }
	})
	if !errors.Is(err, ErrNoInbox) || !strings.Contains(err.Error(), e.in) || ready {
		t.Fatalf("err %v, ready %v; want ErrNoInbox naming %s before ready", err, ready, e.in)
	}
}
