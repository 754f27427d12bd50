package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// measureCues runs every structure detector over the document.
func measureCues(di *docInfo) {
	c := &di.cues
	nonEmpty := 0
	for _, l := range di.lines {
		if l != "" {
			nonEmpty++
		}
	}
	if nonEmpty == 0 {
		return
	}
	first := firstLines(di.flines, 60)
	mailKeys := map[string]bool{}
	proseWords, bullets, upper, names := 0, 0, 0, 0
	lineNo := 0
	for i, l := range di.lines {
		if l == "" {
			continue
		}
		lineNo++
		fl := di.flines[i]
		fields := strings.Fields(l)
		hasDigit := strings.ContainsAny(l, "0123456789")
		if hasDigit {
			amounts := 0
			for _, f := range fields {
				if isAmount(f) {
					amounts++
				}
			}
			c[cueAmounts] += float64(amounts)
			if endsInAmount(fields) {
				c[cuePriceLines]++
			}
			if amounts > 0 && hasCurrency(l, fl) {
				c[cueCurrency]++
			}
			if amounts > 0 || hasNumber(fields) {
				if totalSet.in(fl) {
					c[cueTotalLine]++
				}
				if taxSet.in(fl) && (strings.Contains(l, "%") || amounts > 0) {
					c[cueTaxLine]++
				}
			}
			c[cueDates] += float64(countDates(fl))
			c[cueTimes] += float64(countTimes(l))
			if isDateRange(fl) {
				c[cueDateRanges]++
			}
			if isQtyPrice(fl) {
				c[cueQtyPrice]++
			}
			if phoneSet.in(fl) && digitCount(l) >= 6 {
				c[cuePhone]++
			}
			c[cueCiteBracket] += float64(countBracketCites(l))
			if isNumberedHeading(l) {
				c[cueSectionNums]++
			}
		}
		if isClauseLine(l, fl) {
			c[cueClauses]++
		}
		if isOptionLine(l) {
			c[cueOptionLines]++
		}
		if hasDigit && len(fields) <= 8 && startsWithDate(fl) {
			c[cueDatedHeads]++
		}
		c[cueUnderscores] += float64(countRuns(l, '_', 3))
		if strings.Contains(l, ". . . .") || strings.Contains(l, ".....") {
			c[cueLeaders]++
		}
		c[cueCheckboxes] += float64(countCheckboxes(l))
		if isYesNo(fl) {
			c[cueYesNo]++
		}
		if k, v, ok := labelValue(fl); ok {
			if v == "" && len(fields) <= 7 {
				c[cueBlankFields]++
			} else if v != "" {
				c[cueKVLines]++
			}
			if lineNo <= 60 && mailHeaderKeys[k] != "" {
				mailKeys[mailHeaderKeys[k]] = true
				c[cueMailHeaders]++
			}
		}
		if strings.HasPrefix(l, ">") || mayBeReply(fl) && containsAnyPhrase(fl, replyPhrases) {
			c[cueReply]++
		}
		at := strings.Count(l, "@")
		if at > 0 {
			c[cueEmailAddr] += float64(countEmails(l))
		}
		if strings.Contains(fl, "http://") || strings.Contains(fl, "https://") || strings.Contains(fl, "www.") {
			c[cueURL]++
		}
		c[cueCiteAuthor] += float64(countAuthorYear(l))
		if isHeadingLike(fields) {
			h := headingKey(fl)
			switch {
			case refsHeadings[h]:
				c[cueRefsHeading] = 1
			case paperHeadings[h]:
				c[cuePaperHeads]++
			}
			if g := resumeHeadings[h]; g != "" {
				c[cueResumeHeads]++
			}
		}
		if lineNo <= 40 && isAbstractLine(fl) {
			c[cueAbstract] = 1
		}
		if isBullet(l) {
			bullets++
		}
		if isUpperLine(l) {
			upper++
		}
		if len(fields) >= 8 && strings.ContainsAny(l, ".,;") && !hasManyNumbers(fields) {
			proseWords += len(fields)
			names += countNames(fields)
		}
	}
	if di.cues[cueAbstract] == 0 && di.counts["abstract"] > 0 && di.nWords > 1500 {
		for _, t := range di.tokens[:min(len(di.tokens), 600)] {
			if t == "abstract" {
				c[cueAbstract] = 1
				break
			}
		}
	}
	if mailKeys["subject"] {
		c[cueSubject] = 1
	} else {
		for _, l := range first[:min(len(first), 8)] {
			if strings.HasPrefix(l, "re:") || strings.HasPrefix(l, "fw:") || strings.HasPrefix(l, "fwd:") {
				c[cueSubject] = 1
			}
		}
	}
	// at least two kinds of header, one of them a sender or a subject
	// ("Date:" and "To:" alone head invoices and letters too)
	c[cueMailHeaders] = float64(len(mailKeys))
	if len(mailKeys) < 2 || !mailKeys["from"] && !mailKeys["subject"] {
		c[cueMailHeaders] = 0
	}
	c[cueGreeting] = b2f(anyStartsWith(skipHeaders(first, 12), greetingWords))
	c[cueSignoff] = b2f(anyStartsWith(lastLines(di.flines, 15), signoffWords))
	c[cueCiteAuthor] += float64(countPhrase(di.tokens, "et", "al"))
	c[cueDOI] = float64(di.counts["doi"] + di.counts["arxiv"] + di.counts["issn"] + di.counts["isbn"])
	c[cueFigTable] = float64(countFigTable(di.tokens))
	c[cueLineRefs] = float64(countLineRefs(di.tokens))
	c[cueDefinedTerms] = float64(strings.Count(di.text, "\")") + strings.Count(di.text, "”)"))
	c[cueSignature] = float64(countSignature(di.lines, di.flines))
	c[cueBullets] = float64(bullets) / float64(nonEmpty)
	c[cueUpperLines] = float64(upper) / float64(nonEmpty)
	c[cueContactTop] = b2f(contactTop(di.lines))
	if di.nWords > 0 {
		per1k := 1000 / float64(di.nWords)
		said := 0
		for _, w := range saidWords {
			said += di.counts[w]
		}
		said += countPhrase(di.tokens, "according", "to")
		// density with a prior of 300 words, so one "said" in a short note is not news
		c[cueSaid] = float64(said) * 1000 / float64(di.nWords+300)
		fp := di.counts["i"] + di.counts["my"] + di.counts["me"] + di.counts["ich"] + di.counts["je"] + di.counts["ik"]
		c[cueFirstPerson] = float64(fp) * per1k
		c[cueProse] = min(1, float64(proseWords)/float64(di.nWords))
		if proseWords >= 40 && di.lang != "de" { // German capitalises every noun
			c[cueNames] = float64(names) / float64(proseWords)
		}
		num, wd := 0, 0
		for w, n := range di.counts {
			if isNumeric(w) {
				num += n
			}
			if weekdays[w] {
				wd += n
			}
		}
		c[cueNumeric] = float64(num) / float64(di.nWords)
		c[cueWeekday] = float64(wd)
	}
	c[cueQuotes] = float64(countQuotes(di.text))
	c[cueVerse] = verseShare(di.lines)
	c[cueDateline] = b2f(hasDateline(di.lines))
	c[cueByline] = b2f(hasByline(di.lines))
	c[cueHeadline] = b2f(hasHeadline(di.lines))
	// short: 1 at <=120 words, 0 from 600; long: 0 below 1500, 1 from 4000.
	c[cueShort] = clamp01((600 - float64(di.nWords)) / 480)
	c[cueLong] = clamp01((float64(di.nWords) - 1500) / 2500)
	if di.pages > 3 {
		c[cueShort] = 0
	}
	c[cueShortList] = c[cueShort] * cueDefs[cueAmounts].strength(c[cueAmounts])
}

// countNames counts capitalised words inside sentences (not after a full
// stop, not all capitals): names of people, places and organisations.
func countNames(fields []string) int {
	n := 0
	for i := 1; i < len(fields); i++ {
		prev := fields[i-1]
		if strings.HasSuffix(prev, ".") || strings.HasSuffix(prev, "!") || strings.HasSuffix(prev, "?") ||
			strings.HasSuffix(prev, ":") || strings.HasSuffix(prev, "\"") || strings.HasSuffix(prev, "“") {
			continue
		}
		w := strings.TrimLeft(fields[i], "(\"'‘“")
		r, size := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) || size >= len(w) {
			continue
		}
		r2, _ := utf8.DecodeRuneInString(w[size:])
		if unicode.IsLower(r2) {
			n++
		}
	}
	return n
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func clamp01(x float64) float64 { return max(0, min(1, x)) }

func firstLines(ls []string, n int) []string {
	var out []string
	for _, l := range ls {
		if l != "" {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

func lastLines(ls []string, n int) []string {
	var out []string
	for i := len(ls) - 1; i >= 0 && len(out) < n; i-- {
		if ls[i] != "" {
			out = append(out, ls[i])
		}
	}
	return out
}

// skipHeaders drops leading "Key: value" header lines and returns up to n lines.
func skipHeaders(ls []string, n int) []string {
	i := 0
	for i < len(ls) {
		k, _, ok := labelValue(ls[i])
		if !ok || mailHeaderKeys[k] == "" {
			break
		}
		i++
	}
	ls = ls[i:]
	return ls[:min(len(ls), n)]
}

func anyStartsWith(ls []string, starts []string) bool {
	for _, l := range ls {
		for _, s := range starts {
			if strings.HasPrefix(l, s) && (len(l) == len(s) || !isLetterByte(l[len(s)])) {
				return true
			}
		}
	}
	return false
}

func isLetterByte(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
