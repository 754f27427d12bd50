package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a running classifyd process. Its stdout and stderr go to a log
// file; log lines can be waited for (kill triggers).
type Proc struct {
	Cmd     *exec.Cmd
	LogPath string

	done    chan struct{}
	waitErr error
	pipes   sync.WaitGroup

	mu      sync.Mutex
	waiters []*lineWaiter
	counts  map[string]int // lines seen per watched substring
}

type lineWaiter struct {
	substr string
	n      int // fire at the n-th matching line from now
	ch     chan struct{}
}

// ProcOptions are optional settings of Start.
type ProcOptions struct {
	// Cred runs the process as another user (root only).
	Cred *syscall.Credential
	Env  []string
	Dir  string
}

// Start runs bin with args, appending its output to logPath.
func Start(bin string, args []string, logPath string, o ProcOptions) (*Proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logf, "=== %s %s %s\n", time.Now().Format(time.StampMilli), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Dir = o.Dir
	if o.Cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.Cred}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	p := &Proc{Cmd: cmd, LogPath: logPath, done: make(chan struct{}), counts: map[string]int{}}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	var wmu sync.Mutex
	copyLines := func(r io.Reader) {
		defer p.pipes.Done()
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				wmu.Lock()
				logf.Write(line)
				wmu.Unlock()
				p.sawLine(line)
			}
			if err != nil {
				return
			}
		}
	}
	p.pipes.Add(2)
	go copyLines(stdout)
	go copyLines(stderr)
	go func() {
		p.pipes.Wait()
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *Proc) sawLine(line []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keep := p.waiters[:0]
	for _, w := range p.waiters {
		if bytes.Contains(line, []byte(w.substr)) {
			w.n--
			if w.n <= 0 {
				close(w.ch)
				continue
			}
		}
		keep = append(keep, w)
	}
	p.waiters = keep
}

// OnLine returns a channel closed when the n-th line containing substr
// (counted from now) is written by the process.
func (p *Proc) OnLine(substr string, n int) <-chan struct{} {
	w := &lineWaiter{substr: substr, n: max(n, 1), ch: make(chan struct{})}
	p.mu.Lock()
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()
	return w.ch
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is the process's exit error (nil for exit 0); valid once Done is closed.
func (p *Proc) Err() error { return p.waitErr }

// ExitCode is the exit code (-1 for a signal); valid once Done is closed.
func (p *Proc) ExitCode() int { return p.Cmd.ProcessState.ExitCode() }

// Kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (p *Proc) Kill() error {
	if p.Exited() {
		return nil
	}
	if err := syscall.Kill(p.Cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pid %d still running 10s after SIGKILL", p.Cmd.Process.Pid)
	}
}

// Stop sends SIGTERM and waits up to timeout, then kills.
func (p *Proc) Stop(timeout time.Duration) error {
	if p.Exited() {
		return p.waitErr
	}
	syscall.Kill(p.Cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("pid %d did not stop within %s of SIGTERM; killed", p.Cmd.Process.Pid, timeout)
	}
}

// Wait waits up to timeout for the process to exit by itself; on timeout it
// is killed and an error returned.
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("pid %d still running after %s; killed", p.Cmd.Process.Pid, timeout)
	}
}

// Tail returns the last n lines of a log file.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Grep returns the lines of a log file that contain substr.
func Grep(path, substr string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}
