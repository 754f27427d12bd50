package engine

import (
	"strings"
	"unicode"
)

// isAmount reports whether a whitespace field is a money-like amount:
// digits with a two-digit decimal part, optionally with thousands
// separators, a currency sign or code, a sign or a trailing minus.
func isAmount(f string) bool {
	f = strings.TrimLeft(f, "-+($€£¥₹*")
	f = strings.TrimRight(f, "-)€$£*")
	// strip a short alphabetic currency prefix/suffix ("RM8.70", "8.70EUR")
	i := 0
	for i < len(f) && i < 3 && isLetterByte(f[i]) {
		i++
	}
	f = f[i:]
	j := len(f)
	for j > 0 && len(f)-j < 3 && isLetterByte(f[j-1]) {
		j--
	}
	f = f[:j]
	n := len(f)
	if n < 4 || f[n-3] != '.' && f[n-3] != ',' || !isDigit(f[n-1]) || !isDigit(f[n-2]) {
		return false
	}
	digits := 0
	for k := 0; k < n-3; k++ {
		switch c := f[k]; {
		case isDigit(c):
			digits++
		case c == '.' || c == ',' || c == '\'':
			if k == 0 {
				return false
			}
		default:
			return false
		}
	}
	return digits > 0 && digits <= 9
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// endsInAmount: the line's last field (or the one before a short tax code)
// is an amount.
func endsInAmount(fields []string) bool {
	n := len(fields)
	if n == 0 {
		return false
	}
	if isAmount(fields[n-1]) {
		return true
	}
	return n >= 2 && len(fields[n-1]) <= 3 && isAmount(fields[n-2])
}

func hasNumber(fields []string) bool {
	for _, f := range fields {
		if digitCount(f) > 0 {
			return true
		}
	}
	return false
}

func hasManyNumbers(fields []string) bool {
	n := 0
	for _, f := range fields {
		if digitCount(f) > 0 {
			n++
		}
	}
	return n*3 > len(fields)
}

func digitCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func hasCurrency(l, fl string) bool {
	if strings.ContainsAny(l, "$€£¥₹₩₽") {
		return true
	}
	return currencySet.in(fl)
}

// containsAnyWord reports whether folded line l contains one of ws as a
// whole word (or as a word prefix when the entry ends in '*').
func containsAnyWord(l string, ws []string) bool {
	for _, w := range ws {
		prefix := strings.HasSuffix(w, "*")
		if prefix {
			w = w[:len(w)-1]
		}
		off := 0
		for {
			k := strings.Index(l[off:], w)
			if k < 0 {
				break
			}
			k += off
			okLeft := k == 0 || !isWordByte(l[k-1])
			end := k + len(w)
			okRight := prefix || end == len(l) || !isWordByte(l[end])
			if okLeft && okRight {
				return true
			}
			off = k + 1
		}
	}
	return false
}

// wordSet matches a folded line against a word list: whole words, word
// prefixes ("gesamt*") and phrases or entries with punctuation ("sub
// total", "tel.") - one scan of the line's words.
type wordSet struct {
	exact    map[string]bool
	prefixes []string
	phrases  []string
}

func newWordSet(ws ...string) *wordSet {
	s := &wordSet{exact: map[string]bool{}}
	for _, w := range ws {
		switch {
		case strings.HasSuffix(w, "*"):
			s.prefixes = append(s.prefixes, strings.TrimSuffix(w, "*"))
		case strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0:
			s.phrases = append(s.phrases, w)
		default:
			s.exact[w] = true
		}
	}
	return s
}

func (s *wordSet) in(l string) bool {
	i := 0
	for i < len(l) {
		for i < len(l) && !isWordByte(l[i]) {
			i++
		}
		j := i
		for j < len(l) && isWordByte(l[j]) {
			j++
		}
		if j > i {
			w := l[i:j]
			if s.exact[w] {
				return true
			}
			for _, p := range s.prefixes {
				if strings.HasPrefix(w, p) {
					return true
				}
			}
		}
		i = j
	}
	return len(s.phrases) > 0 && containsAnyWord(l, s.phrases)
}

func isWordByte(b byte) bool { return isLetterByte(b) || isDigit(b) || b >= 0x80 }

// mayBeReply is a cheap filter before the reply phrases: every one of them
// has a colon or one of these stems.
func mayBeReply(fl string) bool {
	return strings.IndexByte(fl, ':') >= 0 || strings.Contains(fl, "mess") || strings.Contains(fl, "forward") ||
		strings.Contains(fl, "ecrit") || strings.Contains(fl, "schreef") || strings.Contains(fl, "scritto") ||
		strings.Contains(fl, "bericht") || strings.Contains(fl, "nachricht")
}

func containsAnyPhrase(l string, ps []string) bool {
	for _, p := range ps {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}
