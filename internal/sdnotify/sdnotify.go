// Package sdnotify speaks systemd's service notification protocol
// (sd_notify(3)): READY=1, STATUS=..., STOPPING=1 and WATCHDOG=1 datagrams to
// the unix socket named by $NOTIFY_SOCKET, and the watchdog interval from
// $WATCHDOG_USEC.
//
// A Supervisor drives the protocol for a daemon: it reports readiness once,
// a status line every few seconds, answers the watchdog only while the daemon
// says it is healthy, and says STOPPING=1 when its context ends.
//
// The package owns the notify socket and nothing else. Without
// $NOTIFY_SOCKET (not under systemd) every call is a no-op.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notification states.
const (
	Ready     = "READY=1"
	Stopping  = "STOPPING=1"
	Watchdog  = "WATCHDOG=1"
	Reloading = "RELOADING=1"
)

// Notifier sends notifications to systemd. The zero value, and a Notifier
// built without $NOTIFY_SOCKET, sends nothing.
type Notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration

	mu   sync.Mutex
	conn *net.UnixConn
}

// FromEnv builds a Notifier from $NOTIFY_SOCKET, $WATCHDOG_USEC and
// $WATCHDOG_PID (the watchdog is ours only when WATCHDOG_PID is unset or our
// pid). It never fails: a malformed variable disables that part.
func FromEnv() *Notifier {
	n := &Notifier{}
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock != "" && (strings.HasPrefix(sock, "/") || strings.HasPrefix(sock, "@")) {
		// Go maps a leading '@' to Linux's abstract namespace.
		n.addr = &net.UnixAddr{Name: sock, Net: "unixgram"}
	}
	if us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64); err == nil && us > 0 {
		pid := os.Getenv("WATCHDOG_PID")
		if pid == "" || pid == strconv.Itoa(os.Getpid()) {
			n.watchdog = time.Duration(us) * time.Microsecond
		}
	}
	return n
}

// Enabled reports whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// WatchdogInterval is the watchdog timeout systemd set (WatchdogSec=), or 0.
// Send WATCHDOG=1 at least twice per interval.
func (n *Notifier) WatchdogInterval() time.Duration {
	if !n.Enabled() {
		return 0
	}
	return n.watchdog
}

// Notify sends one datagram with the given lines ("READY=1", "STATUS=...").
func (n *Notifier) Notify(lines ...string) error {
	if !n.Enabled() || len(lines) == 0 {
		return nil
	}
	msg := strings.Join(lines, "\n")
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn == nil {
		c, err := net.DialUnix("unixgram", nil, n.addr)
		if err != nil {
			return fmt.Errorf("notify %s: %w", n.addr.Name, err)
		}
		n.conn = c
	}
	if _, err := n.conn.Write([]byte(msg)); err != nil {
		// The socket may have been replaced (systemd re-executed): redial once.
		n.conn.Close()
		n.conn = nil
		c, derr := net.DialUnix("unixgram", nil, n.addr)
		if derr != nil {
			return fmt.Errorf("notify %s: %w", n.addr.Name, errors.Join(err, derr))
		}
		n.conn = c
		if _, err := c.Write([]byte(msg)); err != nil {
			return fmt.Errorf("notify %s: %w", n.addr.Name, err)
		}
	}
	return nil
}

// Status sends STATUS=text (one line: newlines become spaces).
func (n *Notifier) Status(text string) error {
	return n.Notify("STATUS=" + strings.ReplaceAll(text, "\n", " "))
}

// Close closes the socket.
func (n *Notifier) Close() error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn == nil {
		return nil
	}
	err := n.conn.Close()
	n.conn = nil
	return err
}
