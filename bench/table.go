package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// table is one scenario's result: a markdown table with a title and notes.
type table struct {
	title  string
	header []string
	rows   [][]string
	notes  []string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) note(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

// markdown renders the table with its title as a level-3 heading.
func (t *table) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", t.title)
	fmt.Fprintf(&b, "| %s |\n", strings.Join(t.header, " | "))
	seps := make([]string, len(t.header))
	for i := range seps {
		seps[i] = "---"
	}
	fmt.Fprintf(&b, "| %s |\n", strings.Join(seps, " | "))
	for _, r := range t.rows {
		cells := make([]string, len(t.header))
		copy(cells, r)
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	if len(t.notes) > 0 {
		b.WriteString("\n")
		for _, n := range t.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// writeResults writes every table to path with a header naming the machine,
// the commit and the mode.
func writeResults(path string, e *env, tabs []*table) error {
	var b strings.Builder
	b.WriteString("# classifyd benchmarks\n\n")
	mode := "full sizes"
	if e.quick {
		mode = "--quick sizes"
	}
	commit := "unknown"
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = e.root
	if out, err := cmd.Output(); err == nil {
		commit = strings.TrimSpace(string(out))
		cmd = exec.Command("git", "status", "--porcelain", "--untracked-files=no")
		cmd.Dir = e.root
		if out, err := cmd.Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
			commit += " (with uncommitted changes)"
		}
	}
	fmt.Fprintf(&b, "Produced by `go run ./bench all` (%s) on %s, commit %s, on %s.\n\n",
		mode, time.Now().UTC().Format("2006-01-02"), commit, machine())
	b.WriteString("The machine has 2 cores: \"parallel\" below means 2 at a time unless a row says otherwise. " +
		"Throughput numbers are wall-clock, from process start to exit, on files already in the page cache.\n\n")
	for _, t := range tabs {
		b.WriteString(t.markdown())
		b.WriteString("\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// Formatting helpers.

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
}

func fmtRate(n float64, d time.Duration) string {
	if d <= 0 {
		return "n/a"
	}
	r := n / d.Seconds()
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.2f", r)
	}
}

func fmtMB(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

func fmtCount(n int) string {
	s := fmt.Sprint(n)
	if n < 10000 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
