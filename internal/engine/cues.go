package engine

import (
	"fmt"
	"math"
	"strings"
)

// cueID names a document-structure detector: a feature of the layout,
// numbers and headings of a document, independent of its language where
// possible.
type cueID int

const (
	cuePriceLines   cueID = iota // lines that end in a price-like amount
	cueAmounts                   // amount tokens (12.50, 1.234,56)
	cueCurrency                  // lines with a currency sign or code and an amount
	cueTotalLine                 // "total"/"summe"/"montant" lines with a number
	cueTaxLine                   // VAT/GST/MwSt lines with a rate or amount
	cueDates                     // dates
	cueTimes                     // times of day (14:32)
	cueDateRanges                // "2015 - 2018", "Jan 2019 - present"
	cueBlankFields               // "Name:" with nothing after it
	cueUnderscores               // "_____" fill-in blanks
	cueCheckboxes                // ☐ □ [ ] ( ) boxes
	cueYesNo                     // lines offering "yes / no"
	cueKVLines                   // "Label: value" lines
	cueMailHeaders               // From:/To:/Subject:/Sent: header lines
	cueSubject                   // a Subject:/Betreff:/Objet: line
	cueReply                     // reply/forward markers, quoted lines
	cueGreeting                  // "Dear ...", "Hi ...", "Sehr geehrte ..."
	cueSignoff                   // "Regards", "Sincerely", "Mit freundlichen Grüßen"
	cueEmailAddr                 // e-mail addresses
	cueURL                       // web addresses
	cueCiteBracket               // [1], [2, 5], [3-7]
	cueCiteAuthor                // "et al.", (Smith, 2019)
	cueRefsHeading               // References / Bibliography heading
	cueAbstract                  // Abstract heading
	cueDOI                       // doi, arXiv, ISSN, ISBN
	cueFigTable                  // Figure 3, Table 2
	cueSectionNums               // "2.1 Method" numbered headings
	cuePaperHeads                // Introduction / Conclusion / Results headings
	cueClauses                   // "Section 4", "Article 2", "§ 3", "(a)" clauses
	cueDefinedTerms              // ("the Company") defined terms
	cueSignature                 // signature block near the end
	cueResumeHeads               // Experience / Education / Skills headings
	cueBullets                   // share of bulleted lines
	cueContactTop                // e-mail or phone in the first lines
	cuePhone                     // phone/fax numbers
	cueSaid                      // reported speech per 1000 words
	cueQuotes                    // quoted passages
	cueDateline                  // "LONDON (Reuters) -" dateline
	cueByline                    // "By Jane Doe" byline
	cueHeadline                  // a short headline followed by prose
	cueProse                     // share of words in running sentences
	cueShort                     // short document
	cueLong                      // long document
	cueWeekday                   // weekday names
	cueNumeric                   // share of numeric tokens
	cueUpperLines                // share of all-capitals lines
	cueQtyPrice                  // "2 x 3.50", "qty"
	cueFirstPerson               // "I", "my" per 1000 words
	cueNames                     // share of capitalised names inside running sentences
	cueShortList                 // a short document that is mostly amounts (a till slip)
	cueLeaders                   // dot leaders ". . . . ." running to an entry
	cueLineRefs                  // references to numbered lines ("line 5", "from line 3a")
	cueOptionLines               // lines that start with a command-line option ("-v", "--verbose")
	cueVerse                     // share of lines in runs of short lines (verse, lyrics, stanzas)
	cueDatedHeads                // short lines that start with a date (dated entries, changelogs)
	numCues
)

// cueDef describes how a raw measurement becomes a strength and how it
// is shown to a person.
type cueDef struct {
	name  string
	scale float64 // strength = 1 - exp(-raw/scale)
	ratio bool    // raw is a fraction; shown as a percentage
	show  string  // format with the raw value
}

func (c cueDef) strength(raw float64) float64 {
	if raw <= 0 {
		return 0
	}
	return 1 - math.Exp(-raw/c.scale)
}

func (c cueDef) describe(raw float64) string {
	if !strings.Contains(c.show, "%") {
		return c.show
	}
	if c.ratio {
		return fmt.Sprintf(c.show, math.Round(raw*100))
	}
	if strings.Contains(c.show, "%v") && raw == math.Trunc(raw) {
		return fmt.Sprintf(c.show, int(raw))
	}
	return fmt.Sprintf(c.show, raw)
}

var cueDefs = [numCues]cueDef{
	cuePriceLines:   {"price_lines", 3, false, "%v price lines"},
	cueAmounts:      {"amounts", 4, false, "%v amounts"},
	cueCurrency:     {"currency", 2, false, "%v currency amounts"},
	cueTotalLine:    {"total_line", 1, false, "%v total lines"},
	cueTaxLine:      {"tax_line", 1, false, "%v tax lines"},
	cueDates:        {"dates", 1.5, false, "%v dates"},
	cueTimes:        {"times", 1, false, "%v times of day"},
	cueDateRanges:   {"date_ranges", 2, false, "%v date ranges"},
	cueBlankFields:  {"blank_fields", 4, false, "%v blank fields"},
	cueUnderscores:  {"underscores", 4, false, "%v fill-in blanks"},
	cueCheckboxes:   {"checkboxes", 3, false, "%v checkboxes"},
	cueYesNo:        {"yes_no", 1.5, false, "%v yes/no choices"},
	cueKVLines:      {"label_value", 4, false, "%v label: value lines"},
	cueMailHeaders:  {"mail_headers", 1.5, false, "%v mail header lines"},
	cueSubject:      {"subject", 0.7, false, "subject line"},
	cueReply:        {"reply", 1, false, "%v reply/forward markers"},
	cueGreeting:     {"greeting", 0.7, false, "greeting"},
	cueSignoff:      {"signoff", 0.7, false, "sign-off"},
	cueEmailAddr:    {"email_addresses", 1.5, false, "%v e-mail addresses"},
	cueURL:          {"urls", 2, false, "%v web addresses"},
	cueCiteBracket:  {"citations", 6, false, "%v [n] citations"},
	cueCiteAuthor:   {"author_citations", 4, false, "%v author-year citations"},
	cueRefsHeading:  {"references_heading", 0.7, false, "references heading"},
	cueAbstract:     {"abstract_heading", 0.7, false, "abstract heading"},
	cueDOI:          {"doi", 1, false, "%v DOI/arXiv/ISSN marks"},
	cueFigTable:     {"figures_tables", 2, false, "%v figure/table captions"},
	cueSectionNums:  {"numbered_headings", 3, false, "%v numbered headings"},
	cuePaperHeads:   {"paper_headings", 2.5, false, "%v paper section headings"},
	cueClauses:      {"clauses", 5, false, "%v numbered clauses"},
	cueDefinedTerms: {"defined_terms", 2, false, "%v defined terms"},
	cueSignature:    {"signature_block", 1.5, false, "signature block (%v lines)"},
	cueResumeHeads:  {"resume_sections", 1.2, false, "%v résumé sections"},
	cueBullets:      {"bullets", 0.1, true, "%v%% bulleted lines"},
	cueContactTop:   {"contact_top", 0.7, false, "contact details at the top"},
	cuePhone:        {"phones", 1, false, "%v phone numbers"},
	cueSaid:         {"reported_speech", 3, false, "reported speech %.1f per 1000 words"},
	cueQuotes:       {"quotes", 2, false, "%v quotations"},
	cueDateline:     {"dateline", 0.7, false, "dateline"},
	cueByline:       {"byline", 0.7, false, "byline"},
	cueHeadline:     {"headline", 0.7, false, "headline over prose"},
	cueProse:        {"prose", 0.35, true, "%v%% running prose"},
	cueShort:        {"short", 0.5, false, "short (%.2f)"},
	cueLong:         {"long", 0.5, false, "long (%.2f)"},
	cueWeekday:      {"weekdays", 1.5, false, "%v weekday names"},
	cueNumeric:      {"numeric", 0.15, true, "%v%% numbers"},
	cueUpperLines:   {"upper_lines", 0.2, true, "%v%% capitalised lines"},
	cueQtyPrice:     {"qty_price", 1.5, false, "%v quantity × price lines"},
	cueFirstPerson:  {"first_person", 8, false, "first person %.1f per 1000 words"},
	cueNames:        {"names", 0.08, true, "%v%% capitalised names in sentences"},
	cueShortList:    {"short_amounts", 0.5, false, "short list of amounts (%.2f)"},
	cueLeaders:      {"leaders", 4, false, "%v dot-leader lines"},
	cueLineRefs:     {"line_refs", 3, false, "%v references to numbered lines"},
	cueOptionLines:  {"option_lines", 4, false, "%v option lines (-x, --name)"},
	cueVerse:        {"verse", 0.3, true, "%v%% lines in runs of short lines"},
	cueDatedHeads:   {"dated_headings", 3, false, "%v dated headings"},
}

// cueByName finds a cue by its name (used by the lexicon).
func cueByName(name string) (cueID, bool) {
	for i, c := range cueDefs {
		if c.name == name {
			return cueID(i), true
		}
	}
	return 0, false
}
