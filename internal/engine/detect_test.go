package engine

import (
	"strings"
	"testing"
)

func TestIsAmount(t *testing.T) {
	tests := map[string]bool{
		"12.50": true, "1,234.56": true, "1.234,56": true, "€160.00": true, "$5.99": true, "RM8.70": true,
		"8.70EUR": true, "-3.20": true, "(4.00)": true, "12.50-": true,
		"12": false, "2024": false, "12.5": false, "1.2.3": false, "abc": false, "12/03/24": false, ".50": false,
		"3.14159": false,
	}
	for in, want := range tests {
		if got := isAmount(in); got != want {
			t.Errorf("isAmount(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLineDetectors(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) int
		line string
		want int
	}{
		{"numeric date", countDates, "date: 12/03/2024", 1},
		{"iso date", countDates, "issued 2020-11-21, delivered 2020-11-10", 2},
		{"month date", countDates, "march 3, 2024", 1},
		{"not a date", countDates, "call 555 1234 now", 0},
		{"version is no date", countDates, "version 1.2.3", 0},
		{"time", countTimes, "09/01/2019 8:01:11 PM", 1},
		{"two times", countTimes, "open 09:00 - 17:30", 2},
		{"no time", countTimes, "ratio 3:1", 0},
		{"bracket cites", countBracketCites, "as shown in [1], [2, 5] and [7-9]", 3},
		{"no cites", countBracketCites, "see [appendix] and [ ]", 0},
		{"author-year", countAuthorYear, "as reported (Smith et al., 2019; Lee 2020)", 1},
		{"year alone", countAuthorYear, "in the year (2019)", 0},
		{"underscores", func(l string) int { return countRuns(l, '_', 3) }, "Name: ________  Date: ____", 2},
		{"checkboxes", countCheckboxes, "☐ Yes  ☐ No  [ ] Maybe", 3},
		{"emails", countEmails, "write to jane.doe@example.org or info@x.de", 2},
		{"not an email", countEmails, "price @ 3.50", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fn(tc.line); got != tc.want {
				t.Errorf("%q: got %d, want %d", tc.line, got, tc.want)
			}
		})
	}
}

func TestPredicates(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) bool
		line string
		want bool
	}{
		{"year range", isDateRange, "sales manager 2015 - 2019", true},
		{"to present", isDateRange, "jan 2019 - present", true},
		{"german range", isDateRange, "2012 bis heute", true},
		{"single year", isDateRange, "founded in 2015", false},
		{"qty x price", isQtyPrice, "2 x 3.50", true},
		{"qty word", isQtyPrice, "qty 4", true},
		{"no qty", isQtyPrice, "taxi to the airport", false},
		{"numbered heading", isNumberedHeading, "2.1 Related Work", true},
		{"numbered sentence", isNumberedHeading, "2 apples were eaten by the dog.", false},
		{"abstract", isAbstractLine, "abstract— we study", true},
		{"abstract word", isAbstractLine, "abstraction layers", false},
		{"yes/no", isYesNo, "are you a resident? yes no", true},
		{"bullet", isBullet, "• managed a team", true},
		{"dash alone", isBullet, "-", false},
		{"upper", isUpperLine, "TOTAL AMOUNT", true},
		{"mixed", isUpperLine, "Total Amount", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fn(tc.line); got != tc.want {
				t.Errorf("%q: got %v, want %v", tc.line, got, tc.want)
			}
		})
	}
}

func TestLabelValue(t *testing.T) {
	tests := []struct {
		line, key, value string
		ok               bool
	}{
		{"name: john smith", "name", "john smith", true},
		{"date of birth: ____", "date of birth", "", true},
		{"subject:", "subject", "", true},
		{"see http://example.org", "", "", false},
		{"this sentence has a colon much later on: here", "", "", false},
	}
	for _, tc := range tests {
		k, v, ok := labelValue(tc.line)
		if k != tc.key || v != tc.value || ok != tc.ok {
			t.Errorf("labelValue(%q) = %q, %q, %v; want %q, %q, %v", tc.line, k, v, ok, tc.key, tc.value, tc.ok)
		}
	}
}

// cueOf analyses text and returns one raw cue.
func cueOf(text string, id cueID) float64 { return analyze(Doc{Text: text}).cues[id] }

func TestDocumentCues(t *testing.T) {
	tests := []struct {
		name string
		text string
		cue  cueID
		min  float64 // raw value at least
		max  float64 // raw value at most
	}{
		{"mail headers", "From: a@b.org\nTo: c@d.org\nSubject: lunch\n\nHi Bob,\nsee you.\n", cueMailHeaders, 3, 9},
		{"subject only", "Subject: re: the meeting\nok with me.", cueSubject, 1, 1},
		{"date and to are not mail", "Date: 01/02/2024\nTo: ACME Ltd\nInvoice 42", cueMailHeaders, 0, 0},
		{"greeting", "Dear Ms Smith,\n\nThank you for your letter.", cueGreeting, 1, 1},
		{"signoff", "Please find it attached.\n\nKind regards,\nTom", cueSignoff, 1, 1},
		{"price lines", "Coffee 2.50\nCake 3.20\nTotal 5.70", cuePriceLines, 3, 3},
		{"total line", "Coffee 2.50\nTOTAL 2.50", cueTotalLine, 1, 1},
		{"german total", "Kaffee 2,50\nGesamtbetrag 2,50 EUR", cueTotalLine, 1, 1},
		{"tax line", "Subtotal 10.00\nVAT 20% 2.00", cueTaxLine, 1, 1},
		{"references heading", "text\n\nReferences\n[1] A. Author. Title. 2001.", cueRefsHeading, 1, 1},
		{"numbered references heading", "text\n\n7. REFERENCES\n[1] x", cueRefsHeading, 1, 1},
		{"resume sections", "Work Experience\nx\nEducation\ny\nSkills\nz", cueResumeHeads, 3, 3},
		{"dateline", "LONDON (Reuters) - Shares rose on Monday as investors welcomed the news from the central bank.", cueDateline, 1, 1},
		{"byline", "Storm hits coast\nBy Jane Doe\nThe storm arrived early on Sunday morning.", cueByline, 1, 1},
		{"clauses", "1.1 The Supplier shall deliver the goods to the premises of the Buyer on time.\nSection 2 Payment\n§ 3 Liability", cueClauses, 3, 3},
		{"roman clauses", "I. Party A supports the project of Party B.\nII. Party B pays the fees on time.\nIV) Both parties sign.", cueClauses, 3, 3},
		{"not roman", "I am here.\nCIVIC. centre", cueClauses, 0, 0},
		{"checkboxes", "☐ single ☐ married ☐ divorced", cueCheckboxes, 3, 3},
		{"signature block", strings.Repeat("text line\n", 10) + "Signature: ____________\nName: \nDate:", cueSignature, 2, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cueOf(tc.text, tc.cue)
			if got < tc.min || got > tc.max {
				t.Errorf("cue %s = %v, want %v..%v", cueDefs[tc.cue].name, got, tc.min, tc.max)
			}
		})
	}
}

func TestShortAndLong(t *testing.T) {
	short := analyze(Doc{Text: "Coffee 2.50\nTotal 2.50\nCash 5.00\nChange 2.50"})
	if short.cue(cueShort) < 0.5 || short.cue(cueLong) != 0 {
		t.Errorf("a four-line slip: short %.2f long %.2f", short.cue(cueShort), short.cue(cueLong))
	}
	long := analyze(Doc{Text: strings.Repeat("the parties agree that this clause applies to all of them. ", 600)})
	if long.cue(cueLong) < 0.5 || long.cue(cueShort) != 0 {
		t.Errorf("a long text: short %.2f long %.2f", long.cue(cueShort), long.cue(cueLong))
	}
}

func TestCapText(t *testing.T) {
	s := strings.Repeat("é", headChars) + strings.Repeat("x", 3*tailChars) + "END"
	c := capText(s)
	if len(c) > headChars+tailChars+1 || !strings.HasSuffix(c, "END") {
		t.Errorf("capText kept %d bytes, suffix %q", len(c), c[len(c)-3:])
	}
	if !strings.HasPrefix(c, "é") {
		t.Errorf("capText lost the head")
	}
}
