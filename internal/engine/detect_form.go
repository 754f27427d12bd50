package engine

import (
	"strings"
	"unicode"
)

// Detectors of the form of a text, for rules whose description implies it
// (options of a command, verse, dated entries): general mappings from
// phrases to cues, not knowledge of any one kind of document.

// isOptionLine: a line that starts with a command-line option: "-v",
// "-o FILE", "--verbose", "-h, --help" (a dash followed at once by a letter
// or digit; "- item" bullets and "--" rules are not options).
func isOptionLine(l string) bool {
	if !strings.HasPrefix(l, "-") {
		return false
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(l, "-"), "-")
	if rest == "" {
		return false
	}
	r := []rune(rest)
	if !unicode.IsLetter(r[0]) && !unicode.IsDigit(r[0]) {
		return false
	}
	// the option is one word: a letter cluster or a dashed name
	end := strings.IndexAny(rest, " \t,=[")
	if end < 0 {
		end = len(rest)
	}
	name := rest[:end]
	if len(name) > 30 {
		return false
	}
	for _, c := range name {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// startsWithDate: a folded line whose first token is (or starts) a date:
// "2024-03-12 ...", "12.03.2024", "12 march 2024", "march 12, 2024".
func startsWithDate(fl string) bool {
	fl = strings.TrimLeft(fl, "#*=-[( \t")
	if fl == "" {
		return false
	}
	if isDigit(fl[0]) {
		if _, ok := scanNumericDate(fl, 0); ok {
			return true
		}
	}
	f := strings.Fields(fl)
	if len(f) < 2 {
		return false
	}
	a, b := strings.Trim(f[0], ".,"), strings.Trim(f[1], ".,")
	year := func(w string) bool { return len(w) == 4 && isNumeric(w) && (w[:2] == "19" || w[:2] == "20") }
	day := func(w string) bool { return len(w) <= 2 && isNumeric(w) }
	switch {
	case day(a) && monthSet.in(b) && len(f) >= 3 && year(strings.Trim(f[2], ".,")):
		return true
	case monthSet.in(a) && (day(b) || year(b)):
		return true
	}
	return false
}

// verseShare is the share of non-empty lines that stand in runs of at
// least three short lines (2 to 9 words in at most 45 characters, well
// under the width of wrapped prose; not numbers, not bullets, not
// headings ending in ":"): verse, lyrics, stanzas.
func verseShare(lines []string) float64 {
	nonEmpty, inRuns, run := 0, 0, 0
	flush := func() {
		if run >= 3 {
			inRuns += run
		}
		run = 0
	}
	for _, l := range lines {
		if l == "" {
			flush()
			continue
		}
		nonEmpty++
		f := strings.Fields(l)
		short := len(f) >= 2 && len(f) <= 9 && len(l) <= 45 && !strings.HasSuffix(l, ":") && !isBullet(l) && !hasManyNumbers(f) &&
			unicode.IsLetter([]rune(l)[0])
		if short {
			run++
		} else {
			flush()
		}
	}
	flush()
	if nonEmpty < 6 {
		return 0
	}
	return float64(inRuns) / float64(nonEmpty)
}
