package daemon

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/classifyd/classifyd/internal/metrics"
)

// troubles are the conditions that make the daemon unhealthy while it keeps
// running and retrying: a state file that cannot be written, a state file
// deleted under it, files that cannot be moved. Each has a key; the one who
// set it clears it when the condition is over.
type troubles struct {
	mu        sync.Mutex
	m         map[string]string
	stuck     map[uint64]bool // records whose last move failed
	lastStuck string          // the last move failure
}

// stuck records that a record's move failed (why) or, with why "", that it
// moved or left; the gauge follows.
func (t *troubles) setStuck(id uint64, why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if why == "" {
		if !t.stuck[id] {
			return
		}
		delete(t.stuck, id)
	} else {
		if t.stuck == nil {
			t.stuck = map[uint64]bool{}
		}
		t.stuck[id], t.lastStuck = true, why
	}
	metrics.FilesStuck.Set(float64(len(t.stuck)))
}

func (t *troubles) set(key, msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]string{}
	}
	t.m[key] = msg
}

func (t *troubles) clear(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}

// Trouble is nil while nothing is wrong, else an error that says what is
// (/healthz answers 503 with it; systemd's watchdog is not affected).
func (d *Daemon) Trouble() error {
	d.checkState()
	t := &d.troubles
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) == 0 && len(t.stuck) == 0 {
		return nil
	}
	keys := make([]string, 0, len(t.m))
	for k := range t.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msgs := make([]string, len(keys))
	for i, k := range keys {
		msgs[i] = t.m[k]
	}
	if n := len(t.stuck); n > 0 {
		msgs = append(msgs, fmt.Sprintf("%d files cannot be moved into the output and stay in the inbox, retried (last: %s)", n, t.lastStuck))
	}
	return errors.New(strings.Join(msgs, "; "))
}

// stateTrouble records a failed write of the state.
func (d *Daemon) stateTrouble(what string, err error) {
	d.troubles.set("state", fmt.Sprintf("cannot write the state file %s (%s): %v", d.st.Path(), what, err))
}

// checkState notices a state file deleted or replaced under the daemon
// (called by the move loop's turns and by Trouble) and logs the change.
func (d *Daemon) checkState() {
	err := d.st.Check()
	if err == nil {
		if d.stateGone.CompareAndSwap(true, false) {
			d.troubles.clear("state file")
		}
		return
	}
	d.troubles.set("state file", err.Error())
	if d.stateGone.CompareAndSwap(false, true) {
		d.log.Error("the state file is gone", "err", err)
	}
}
