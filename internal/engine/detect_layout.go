package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

func countSignature(lines, flines []string) int {
	start := len(lines) * 6 / 10
	if len(lines)-start > 120 {
		start = len(lines) - 120
	}
	n := 0
	for i := start; i < len(lines); i++ {
		fl := flines[i]
		if fl == "" {
			continue
		}
		if signatureSet.in(fl) || countRuns(lines[i], '_', 8) > 0 {
			n++
		}
	}
	return n
}

func contactTop(lines []string) bool {
	n := 0
	for _, l := range lines {
		if l == "" {
			continue
		}
		n++
		if n > 10 {
			break
		}
		if countEmails(l) > 0 || digitCount(l) >= 9 && strings.ContainsAny(l, "+()-") && !strings.Contains(l, ",") {
			return true
		}
	}
	return false
}

func countQuotes(s string) int {
	n := strings.Count(s, "“") + strings.Count(s, "„") + strings.Count(s, "«")
	if n == 0 {
		n = strings.Count(s, "\"") / 2
	}
	return n
}

// hasDateline: "LONDON (Reuters) - ...", "WASHINGTON — ..." or an agency tag
// in the first lines.
func hasDateline(lines []string) bool {
	n := 0
	for _, l := range lines {
		if l == "" {
			continue
		}
		if n++; n > 6 {
			break
		}
		fl := strings.ToLower(l)
		for _, a := range agencyTags {
			if strings.Contains(fl, a) {
				return true
			}
		}
		i := strings.IndexAny(l, "-–—")
		if i >= 3 && i < 40 && len(l) > 60 {
			head := strings.TrimSpace(l[:i])
			if isUpperLine(head) && !strings.ContainsAny(head, ":") {
				return true
			}
		}
	}
	return false
}

func hasByline(lines []string) bool {
	n := 0
	for _, l := range lines {
		if l == "" {
			continue
		}
		if n++; n > 8 {
			break
		}
		for _, p := range bylineStarts {
			if strings.HasPrefix(l, p) && len(l) < 60 && !strings.Contains(l, ":") {
				rest := strings.Fields(l[len(p):])
				if len(rest) >= 2 && len(rest) <= 6 {
					r, _ := utf8.DecodeRuneInString(rest[0])
					if unicode.IsUpper(r) {
						return true
					}
				}
			}
		}
	}
	return false
}

// hasHeadline: the first line is a short title without a full stop and is
// followed by at least three lines of running prose.
func hasHeadline(lines []string) bool {
	i := 0
	for i < len(lines) && lines[i] == "" {
		i++
	}
	if i >= len(lines) {
		return false
	}
	h := strings.Fields(lines[i])
	if _, _, kv := labelValue(strings.ToLower(lines[i])); kv {
		return false
	}
	if len(h) < 2 || len(h) > 16 || strings.HasSuffix(lines[i], ".") || strings.HasSuffix(lines[i], ":") || hasManyNumbers(h) {
		return false
	}
	prose := 0
	for _, l := range lines[i+1 : min(len(lines), i+12)] {
		if f := strings.Fields(l); len(f) >= 12 && strings.ContainsAny(l, ".,") {
			prose++
		}
	}
	return prose >= 3
}
