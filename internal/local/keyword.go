package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/classifyd/classifyd/internal/api"
)

// KeywordClassifier is a simple, honest classifier: it reads a file as text
// (plain text in UTF-8 or Latin-1, or a PDF through the pdftotext program
// when it is installed), and picks the rule whose words (from its type and
// description) appear most in the text. When no rule word appears the type
// is null. It is the fallback when no better engine is wired, and the
// classifier of tests.
type KeywordClassifier struct {
	// MaxBytes is how much of a file (or of pdftotext's output) is read;
	// default 1 MiB.
	MaxBytes int64
	// PDFToText is the pdftotext program; default: "pdftotext" on PATH.
	// "-" disables PDF support.
	PDFToText string
}

var _ Classifier = KeywordClassifier{}

// ErrUnsupported is a file the keyword classifier cannot read as text.
var ErrUnsupported = errors.New("unsupported file format")

// Classify implements Classifier.
func (k KeywordClassifier) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	text, err := k.text(ctx, path, pc)
	if err != nil {
		return api.ItemResult{}, err
	}
	return scoreRules(text, rules), nil
}

func (k KeywordClassifier) maxBytes() int64 {
	if k.MaxBytes > 0 {
		return k.MaxBytes
	}
	return 1 << 20
}

func (k KeywordClassifier) text(ctx context.Context, path string, pc api.ParsingConfiguration) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	buf, err := io.ReadAll(io.LimitReader(f, k.maxBytes()))
	if err != nil {
		return "", err
	}
	if bytes.HasPrefix(buf, []byte("%PDF-")) {
		return k.pdfText(ctx, path, pc)
	}
	head := buf[:min(len(buf), 8192)]
	if bytes.IndexByte(head, 0) >= 0 {
		return "", fmt.Errorf("%w: binary file (the keyword classifier reads text and PDF only)", ErrUnsupported)
	}
	return decodeText(buf), nil
}

// decodeText reads UTF-8, or else Latin-1.
func decodeText(b []byte) string {
	// A cut at MaxBytes may split the last rune.
	for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
		if r, _ := utf8.DecodeLastRune(b); r != utf8.RuneError {
			break
		}
		b = b[:len(b)-1]
	}
	if utf8.Valid(b) {
		return string(b)
	}
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

func (k KeywordClassifier) pdfText(ctx context.Context, path string, pc api.ParsingConfiguration) (string, error) {
	prog := k.PDFToText
	if prog == "-" {
		return "", fmt.Errorf("%w: PDF support is off", ErrUnsupported)
	}
	if prog == "" {
		prog = "pdftotext"
	}
	prog, err := exec.LookPath(prog)
	if err != nil {
		return "", fmt.Errorf("%w: PDF needs pdftotext (poppler-utils), not found", ErrUnsupported)
	}
	run := func(args ...string) (string, error) {
		args = append(append([]string{"-q", "-enc", "UTF-8"}, args...), "--", path, "-")
		cmd := exec.CommandContext(ctx, prog, args...)
		var out, errb bytes.Buffer
		cmd.Stdout = &limitedBuffer{buf: &out, max: k.maxBytes()}
		cmd.Stderr = &limitedBuffer{buf: &errb, max: 4096}
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("pdftotext: %v %s", err, strings.TrimSpace(errb.String()))
		}
		return out.String(), nil
	}
	if len(pc.TargetPages) > 0 {
		pages := append([]int(nil), pc.TargetPages...)
		sort.Ints(pages)
		var sb strings.Builder
		for i, p := range pages {
			if i >= 50 || (pc.MaxPages != nil && i >= *pc.MaxPages) {
				break
			}
			n := strconv.Itoa(p + 1) // target_pages are 0-indexed
			t, err := run("-f", n, "-l", n)
			if err != nil {
				return "", err
			}
			sb.WriteString(t)
			sb.WriteByte('\n')
		}
		return sb.String(), nil
	}
	if pc.MaxPages != nil {
		return run("-l", strconv.Itoa(*pc.MaxPages))
	}
	return run()
}

// limitedBuffer keeps the first max bytes written and drops the rest (so a
// huge PDF cannot fill memory) without failing the writer.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - int64(l.buf.Len()); room > 0 {
		l.buf.Write(p[:min(int64(len(p)), room)])
	}
	return len(p), nil
}

// stopwords are words that say nothing about a document's type.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and for with from that this are was were has have had not but
		any all can may will such like than then them they their there these those its into onto
		about over under more most some one two usually often also each per via who whom which what
		when where why how document documents file files text contains containing include includes
		including describing describes typically written type types kind`) {
		stopwords[w] = true
	}
}

// words returns the distinct content words of s: letters and digits,
// lower-cased, at least 3 characters, not stopwords.
func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if utf8.RuneCountInString(w) >= 3 && !stopwords[w] {
			out[w] = true
		}
	}
	return out
}

type ruleScore struct {
	rule    int
	matched []string
	of      int
	score   float64
}

// scoreRules scores each rule by the share of its words found in text.
func scoreRules(text string, rules []api.Rule) api.ItemResult {
	tw := words(text)
	scores := make([]ruleScore, len(rules))
	for i, r := range rules {
		rw := words(strings.NewReplacer("_", " ", "-", " ").Replace(r.Type) + " " + r.Description)
		s := ruleScore{rule: i, of: len(rw)}
		for w := range rw {
			if tw[w] {
				s.matched = append(s.matched, w)
			}
		}
		sort.Strings(s.matched)
		if s.of > 0 {
			s.score = float64(len(s.matched)) / float64(s.of)
		}
		scores[i] = s
	}
	sort.SliceStable(scores, func(a, b int) bool {
		if scores[a].score != scores[b].score {
			return scores[a].score > scores[b].score
		}
		return len(scores[a].matched) > len(scores[b].matched)
	})
	if len(scores) == 0 || len(scores[0].matched) == 0 {
		return api.ItemResult{Type: nil, Confidence: 0, Reasoning: "No word of any rule's type or description appears in the text."}
	}
	best := scores[0]
	second := 0.0
	if len(scores) > 1 {
		second = scores[1].score
	}
	// Word overlap is weak evidence: the confidence grows with the share of
	// the winner's words found and with its lead over the runner-up, and
	// never passes 0.9.
	margin := (best.score - second) / best.score
	conf := 0.9 * math.Sqrt(best.score) * margin
	var sb strings.Builder
	fmt.Fprintf(&sb, "Rule %q: %d of its %d words appear in the text (%s).", rules[best.rule].Type, len(best.matched), best.of, strings.Join(best.matched, ", "))
	if len(scores) > 1 {
		r := scores[1]
		fmt.Fprintf(&sb, " Runner-up %q: %d of %d words.", rules[r.rule].Type, len(r.matched), r.of)
	}
	return api.ItemResult{Type: api.Ptr(rules[best.rule].Type), Confidence: conf, Reasoning: sb.String()}
}
