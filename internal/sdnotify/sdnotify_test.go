package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listen opens a unix datagram socket like systemd's and returns a channel of
// the messages it receives.
func listen(t *testing.T, name string) <-chan string {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	out := make(chan string, 1024)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(out)
				return
			}
			out <- string(buf[:n])
		}
	}()
	return out
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("socket closed")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5s")
	}
	return ""
}

func TestFromEnv(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		name, sock, usec, wpid string
		enabled                bool
		watchdog               time.Duration
	}{
		{"unset", "", "", "", false, 0},
		{"path", "/run/systemd/notify", "", "", true, 0},
		{"abstract", "@notify", "", "", true, 0},
		{"relative ignored", "notify", "", "", false, 0},
		{"watchdog", "/run/x", "2000000", "", true, 2 * time.Second},
		{"watchdog our pid", "/run/x", "500000", pid, true, 500 * time.Millisecond},
		{"watchdog other pid", "/run/x", "500000", "1", true, 0},
		{"watchdog garbage", "/run/x", "soon", "", true, 0},
		{"watchdog without socket", "", "500000", "", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NOTIFY_SOCKET", tc.sock)
			t.Setenv("WATCHDOG_USEC", tc.usec)
			t.Setenv("WATCHDOG_PID", tc.wpid)
			n := FromEnv()
			if n.Enabled() != tc.enabled || n.WatchdogInterval() != tc.watchdog {
				t.Fatalf("enabled %v watchdog %v, want %v %v", n.Enabled(), n.WatchdogInterval(), tc.enabled, tc.watchdog)
			}
		})
	}
}

func TestNotifyDisabledIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := FromEnv()
	if err := n.Notify(Ready); err != nil {
		t.Fatal(err)
	}
	var nilN *Notifier
	if err := nilN.Notify(Ready); err != nil || nilN.Enabled() {
		t.Fatal("nil notifier must be a disabled no-op")
	}
}

func TestNotifySendsDatagrams(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		t.Run("abstract="+strconv.FormatBool(abstract), func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "notify.sock")
			if abstract {
				name = "@classifyd-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			}
			ch := listen(t, name)
			t.Setenv("NOTIFY_SOCKET", name)
			n := FromEnv()
			defer n.Close()
			if err := n.Notify(Ready, "STATUS=hello"); err != nil {
				t.Fatal(err)
			}
			if err := n.Status("two\nlines"); err != nil {
				t.Fatal(err)
			}
			if got := next(t, ch); got != "READY=1\nSTATUS=hello" {
				t.Fatalf("got %q", got)
			}
			if got := next(t, ch); got != "STATUS=two lines" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestNotifyNoListener(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "absent.sock"))
	if err := FromEnv().Notify(Ready); err == nil {
		t.Fatal("want an error when nobody listens")
	}
}

// TestSupervisorOrder checks the life cycle systemd sees: watchdog answers
// during start-up, READY=1, STATUS= lines, watchdog answers only while
// healthy, STOPPING=1 last.
func TestSupervisorOrder(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notify.sock")
	ch := listen(t, name)
	t.Setenv("NOTIFY_SOCKET", name)
	t.Setenv("WATCHDOG_USEC", "20000") // 20 ms: answered every 10 ms
	t.Setenv("WATCHDOG_PID", "")
	var healthy atomic.Bool
	healthy.Store(true)
	var queued atomic.Int64
	refused := make(chan struct{}, 1)
	s := &Supervisor{
		N:      FromEnv(),
		Status: func() string { return "queued " + strconv.FormatInt(queued.Add(1), 10) },
		Healthy: func() error {
			if healthy.Load() {
				return nil
			}
			select {
			case refused <- struct{}{}:
			default:
			}
			return errors.New("stalled: poll")
		},
		StatusEvery: 15 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	// Start-up: the watchdog is answered before READY.
	if got := next(t, ch); got != Watchdog {
		t.Fatalf("before ready: got %q, want WATCHDOG=1", got)
	}
	s.Ready()
	s.Ready() // a second call sends nothing
	// Skip any watchdog answers still in the socket from before Ready.
	got := next(t, ch)
	for got == Watchdog {
		got = next(t, ch)
	}
	if got != Ready {
		t.Fatalf("got %q, want READY=1", got)
	}
	if got := next(t, ch); !strings.HasPrefix(got, "STATUS=queued ") {
		t.Fatalf("got %q, want the first STATUS= right after READY=1", got)
	}
	// Running: both status lines and watchdog answers arrive.
	var sawStatus, sawWatchdog bool
	for !sawStatus || !sawWatchdog {
		switch m := next(t, ch); {
		case m == Watchdog:
			sawWatchdog = true
		case strings.HasPrefix(m, "STATUS=queued "):
			sawStatus = true
		default:
			t.Fatalf("unexpected %q", m)
		}
	}
	// Stalled: status lines go on, the watchdog is no longer answered. A
	// marker sent after the first refused answer separates what Run sent
	// before the flip from what it sends after.
	healthy.Store(false)
	<-refused
	if err := s.N.Notify("MARK=1"); err != nil {
		t.Fatal(err)
	}
	for next(t, ch) != "MARK=1" {
	}
	for range 4 {
		if m := next(t, ch); !strings.HasPrefix(m, "STATUS=queued ") {
			t.Fatalf("got %q while unhealthy, want only STATUS= lines", m)
		}
	}
	healthy.Store(true)
	for next(t, ch) != Watchdog {
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	last := ""
	for {
		select {
		case m := <-ch:
			last = m
			if strings.HasPrefix(m, Stopping) {
				goto stopped
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no STOPPING=1; last %q", last)
		}
	}
stopped:
	if last != "STOPPING=1\nSTATUS=stopping" {
		t.Fatalf("got %q", last)
	}
}
