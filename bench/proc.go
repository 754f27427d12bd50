package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procResult is what one finished child process cost.
type procResult struct {
	wall time.Duration
	// maxRSSKB is the child's peak resident set: the last VmHWM read from
	// /proc before it exited (a high-water mark, so only growth in the last
	// sampling interval can be missed). Not getrusage's ru_maxrss: Go starts
	// children with CLONE_VM, and Linux carries the parent's high-water mark
	// into the child's ru_maxrss at exec, so a bench process that itself ran
	// PDFium would show up as the child's peak.
	maxRSSKB  int64
	user, sys time.Duration
	stdout    string
	// Peaks of the parts of the resident set, sampled from /proc every
	// 20 ms (kB): anonymous memory (the Go heap and stacks), mapped files
	// (the bbolt state file, the binary) and mapped shared memory (a state
	// file on tmpfs).
	peakAnon, peakFile, peakShmem int64
}

// cpu is the child's user + system time.
func (r procResult) cpu() time.Duration { return r.user + r.sys }

// runOnce runs `classifyd once --config cfg --quiet` to completion and
// measures it from start to exit. Its stderr goes to logPath.
func runOnce(ctx context.Context, e *env, cfg, logPath string, extraEnv ...string) (procResult, error) {
	return runChild(ctx, e.bin, []string{"once", "--config", cfg, "--quiet"}, logPath, extraEnv)
}

func runChild(ctx context.Context, bin string, args []string, logPath string, extraEnv []string) (procResult, error) {
	var res procResult
	logf, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer logf.Close()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = &out
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	start := time.Now()
	if err = cmd.Start(); err == nil {
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				m := procStatus(cmd.Process.Pid)
				res.maxRSSKB = max(res.maxRSSKB, m["VmHWM"])
				res.peakAnon = max(res.peakAnon, m["RssAnon"])
				res.peakFile = max(res.peakFile, m["RssFile"])
				res.peakShmem = max(res.peakShmem, m["RssShmem"])
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		err = cmd.Wait()
		close(stop)
		<-sampled
	}
	res.wall = time.Since(start)
	res.stdout = out.String()
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			res.user = time.Duration(ru.Utime.Nano())
			res.sys = time.Duration(ru.Stime.Nano())
		}
	}
	if err != nil {
		return res, fmt.Errorf("%s %s: %v\nstdout:\n%s\nstderr (last lines):\n%s", filepath.Base(bin), strings.Join(args, " "), err, res.stdout, tail(logPath, 15))
	}
	return res, nil
}

// filedCount reads the number filed from once's summary ("N files in T
// into OUT: filed F, failed X, duplicate D").
func filedCount(stdout string) int {
	for _, line := range strings.Split(stdout, "\n") {
		if _, rest, ok := strings.Cut(line, ": filed "); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.Fields(rest)[0], ","))
			return n
		}
	}
	return -1
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// daemon is a long-running classifyd child (run or serve).
type daemon struct {
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	logPath string
}

// startDaemon starts bin with args; its stderr goes to logPath. If waitLine
// is not empty, it waits (up to a minute) for a stderr line containing it and
// returns that line.
func startDaemon(bin string, args []string, logPath, waitLine string, extraEnv []string) (*daemon, string, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), extraEnv...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, "", err
	}
	d := &daemon{cmd: cmd, done: make(chan struct{}), logPath: logPath}
	found := make(chan string, 1)
	go func() {
		// Copy stderr to the log, watching for waitLine.
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if waitLine != "" && strings.Contains(line, waitLine) {
				select {
				case found <- line:
				default:
				}
			}
		}
		io.Copy(logf, pr)
	}()
	go func() {
		d.waitErr = cmd.Wait()
		pw.Close()
		logf.Close()
		close(d.done)
	}()
	if waitLine == "" {
		return d, "", nil
	}
	select {
	case line := <-found:
		return d, line, nil
	case <-d.done:
		return nil, "", fmt.Errorf("%s exited before saying %q: %v\n%s", filepath.Base(bin), waitLine, d.waitErr, tail(logPath, 15))
	case <-time.After(time.Minute):
		d.stop()
		return nil, "", fmt.Errorf("%s did not say %q within a minute\n%s", filepath.Base(bin), waitLine, tail(logPath, 15))
	}
}

// vmHWM reads the child's peak resident set (kB) from /proc while it runs.
func (d *daemon) vmHWM() int64 { return procStatus(d.cmd.Process.Pid)["VmHWM"] }

// procStatus reads the kB fields of /proc/PID/status.
func procStatus(pid int) map[string]int64 {
	m := map[string]int64{}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		f := strings.Fields(v)
		if !ok || len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err == nil {
			m[k] = n
		}
	}
	return m
}

// stop sends SIGTERM, waits up to 30 s (then kills) and returns the
// child's CPU time (its peak RSS is d.vmHWM() read before stopping).
func (d *daemon) stop() (procResult, error) {
	var res procResult
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		return res, errors.New("did not stop within 30 s of SIGTERM; killed")
	}
	if ps := d.cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			res.user = time.Duration(ru.Utime.Nano())
			res.sys = time.Duration(ru.Stime.Nano())
		}
	}
	return res, nil
}
