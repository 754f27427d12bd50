package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// kinds are the document types of the generated files; their rules are the
// dev corpus's (rules.yaml there), so generated and corpus files share one
// configuration.
var kinds = []string{"invoice", "receipt", "contract", "resume", "email", "scientific_paper", "news_article", "form"}

var ruleDescriptions = map[string]string{
	"invoice":          "a bill from a seller asking for payment, with an invoice number, date, line items, taxes and a total amount due",
	"receipt":          "a store or restaurant receipt showing items bought, prices, total paid and payment method, usually short",
	"contract":         "a legal agreement between two or more parties with terms, obligations, clauses and signatures",
	"resume":           "a CV or resume describing a person's work experience, skills, and education",
	"email":            "an email message with a subject line, written to one or more people, often a reply or forward",
	"scientific_paper": "an academic research paper with a title, authors, abstract, sections and references",
	"news_article":     "a news story reporting on current events, business, politics, sport, entertainment or technology",
	"form":             "a form with fields, boxes or checkboxes to fill in, such as a tax or government application form",
}

var (
	firstNames = []string{"Anna", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Liam"}
	lastNames  = []string{"Meyer", "Novak", "Okafor", "Petersen", "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Vargas"}
	companies  = []string{"Acme GmbH", "Northwind Ltd", "Globex Corp", "Initech BV", "Umbrella SA", "Stark Supplies", "Wayne Logistics"}
	goods      = []string{"Office chair", "Laptop stand", "Printer paper A4", "USB-C cable", "Consulting hours", "Hosting (monthly)", "Desk lamp"}
	foods      = []string{"Cappuccino", "Croissant", "Club sandwich", "Mineral water", "Caesar salad", "Espresso", "Cheesecake"}
	topics     = []string{"city council", "central bank", "football club", "chip maker", "film festival", "rail operator"}
)

// genText writes a plain-text document of kind, made unique by serial.
func genText(kind string, serial int, r *rand.Rand) string {
	name := func() string { return firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))] }
	co := func() string { return companies[r.IntN(len(companies))] }
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365)).Format("2006-01-02")
	var b strings.Builder
	switch kind {
	case "invoice":
		total := 0
		fmt.Fprintf(&b, "%s\nINVOICE\nInvoice number: INV-%06d\nInvoice date: %s\nBill to: %s\n\nDescription            Qty   Unit price   Amount\n", co(), serial, date, co())
		for i := 0; i < 2+r.IntN(4); i++ {
			q, p := 1+r.IntN(9), 5+r.IntN(200)
			total += q * p
			fmt.Fprintf(&b, "%-22s %3d   %8d.00   %6d.00\n", goods[r.IntN(len(goods))], q, p, q*p)
		}
		fmt.Fprintf(&b, "\nSubtotal: %d.00 EUR\nVAT 19%%: %d.%02d EUR\nTotal amount due: %d.%02d EUR\nPayment due within 30 days. IBAN DE44 5001 0517 5407 3249 31\n",
			total, total*19/100, total*19%100, total+total*19/100, total*19%100)
	case "receipt":
		total := 0
		fmt.Fprintf(&b, "CAFE %s\n%s %02d:%02d\nReceipt #%d\n", strings.ToUpper(lastNames[r.IntN(len(lastNames))]), date, 8+r.IntN(12), r.IntN(60), serial)
		for i := 0; i < 1+r.IntN(4); i++ {
			p := 2 + r.IntN(15)
			total += p
			fmt.Fprintf(&b, "%-16s %3d.50\n", foods[r.IntN(len(foods))], p)
		}
		fmt.Fprintf(&b, "TOTAL           %3d.%02d\nPaid by VISA **** %04d\nThank you for your visit!\n", total, 50, r.IntN(10000))
	case "contract":
		fmt.Fprintf(&b, "SERVICE AGREEMENT No. %d\n\nThis Agreement is made on %s between %s (\"the Provider\") and %s (\"the Client\").\n\n", serial, date, co(), co())
		b.WriteString("1. Services. The Provider shall perform the services described in Schedule A.\n")
		b.WriteString("2. Term. This Agreement commences on the Effective Date and continues for twelve (12) months.\n")
		b.WriteString("3. Fees. The Client shall pay the fees within thirty days of invoice.\n")
		b.WriteString("4. Confidentiality. Each party shall keep the other party's confidential information secret.\n")
		b.WriteString("5. Termination. Either party may terminate this Agreement with ninety days' written notice.\n")
		b.WriteString("6. Governing law. This Agreement is governed by the laws of England and Wales.\n\n")
		fmt.Fprintf(&b, "IN WITNESS WHEREOF the parties have signed this Agreement.\nSigned: %s    Signed: %s\n", name(), name())
	case "resume":
		fmt.Fprintf(&b, "%s\nCurriculum Vitae\nEmail: cv%d@example.org | Phone +49 30 %07d\n\n", name(), serial, r.IntN(10000000))
		fmt.Fprintf(&b, "PROFESSIONAL EXPERIENCE\n%d-present  Senior Engineer, %s\n  - Led a team of %d developers\n%d-%d  Software Developer, %s\n\n", 2015+r.IntN(8), co(), 2+r.IntN(8), 2008+r.IntN(5), 2014+r.IntN(2), co())
		b.WriteString("EDUCATION\nM.Sc. Computer Science, Technical University of Munich\n\nSKILLS\nGo, Python, SQL, Kubernetes, team leadership\n\nLANGUAGES\nEnglish (fluent), German (native)\n")
	case "email":
		from, to := name(), name()
		fmt.Fprintf(&b, "From: %s <%s@example.com>\nTo: %s <%s@example.com>\nDate: %s\nSubject: Re: project update %d\n\n", from, strings.ToLower(strings.Fields(from)[0]), to, strings.ToLower(strings.Fields(to)[0]), date, serial)
		fmt.Fprintf(&b, "Hi %s,\n\nthanks for your message. I had a look at the draft and left a few comments.\nCould we talk on Thursday? I am free after lunch.\n\nBest regards,\n%s\n\n> On %s, %s wrote:\n> Please find the draft attached.\n", strings.Fields(to)[0], strings.Fields(from)[0], date, to)
	case "scientific_paper":
		fmt.Fprintf(&b, "Efficient Sparse Attention for Long Documents (%d)\n\n%s, %s\nDepartment of Computer Science, University of Example\n\n", serial, name(), name())
		b.WriteString("Abstract\nWe propose a method for long-document classification that reduces memory by 40% while keeping accuracy. Experiments on three benchmarks show consistent gains.\n\n")
		b.WriteString("1 Introduction\nTransformers scale quadratically with sequence length [1]. Prior work [2, 3] approximates attention.\n\n2 Method\nWe partition the sequence into blocks and attend within blocks.\n\n3 Results\nTable 1 reports F1 scores.\n\nReferences\n[1] Vaswani et al. Attention is all you need. NeurIPS 2017.\n[2] Beltagy et al. Longformer. arXiv 2020.\n")
	case "news_article":
		t := topics[r.IntN(len(topics))]
		fmt.Fprintf(&b, "%s announces new plan after record year\n\nBy %s, staff reporter | %s\n\n", strings.ToUpper(t[:1])+t[1:], name(), date)
		fmt.Fprintf(&b, "The %s said on Tuesday that it would invest %d million euros over the next five years, a spokesperson told reporters.\n", t, 10+r.IntN(500))
		b.WriteString("Analysts welcomed the move, although critics warned that the timetable was ambitious. Shares rose 3 percent in early trading.\n\"This is a turning point,\" the chair told a press conference.\n")
	case "form":
		fmt.Fprintf(&b, "APPLICATION FORM  (Form A-%d)\nPlease complete in BLOCK CAPITALS and tick the boxes that apply.\n\n", serial)
		b.WriteString("1. Surname: ______________________   First name(s): ______________________\n2. Date of birth (DD/MM/YYYY): __/__/____\n3. Address: ____________________________________________\n")
		b.WriteString("4. Marital status:  [ ] single  [ ] married  [ ] divorced\n5. Tax identification number: |_|_|_|_|_|_|_|_|_|_|_|\n6. Signature: ____________________   Date: __________\nFor official use only: ______\n")
	}
	return b.String()
}

// docx wraps text in a minimal Word document (one paragraph a line).
func docx(text string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
	}
	var body strings.Builder
	body.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(&body, `<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, html.EscapeString(line))
	}
	body.WriteString(`</w:body></w:document>`)
	files = append(files, struct{ name, body string }{"word/document.xml", body.String()})
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// corpusFile is one text-layer file of the dev corpus, held in memory.
type corpusFile struct {
	name string
	data []byte
	pdf  bool
}

// loadCorpus reads the dev corpus's PDFs and text files (not the images,
// which need OCR).
func loadCorpus(dir string) ([]corpusFile, error) {
	if dir == "" {
		return nil, nil
	}
	ents, err := os.ReadDir(filepath.Join(dir, "docs"))
	if err != nil {
		return nil, err
	}
	var out []corpusFile
	for _, de := range ents {
		ext := strings.ToLower(filepath.Ext(de.Name()))
		if !de.Type().IsRegular() || (ext != ".pdf" && ext != ".txt") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "docs", de.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, corpusFile{name: de.Name(), data: b, pdf: ext == ".pdf"})
	}
	return out, nil
}

// unique returns the file's bytes made unique by serial, so that the
// daemon's SHA-256 duplicate check never skips a copy: a PDF gets a comment
// line after its final %%EOF (PDF readers ignore it), a text file a
// reference line.
func (c corpusFile) unique(serial int) []byte {
	out := make([]byte, 0, len(c.data)+32)
	out = append(out, c.data...)
	if c.pdf {
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		return fmt.Appendf(out, "%%unique %d\n", serial)
	}
	return fmt.Appendf(out, "\nref %d\n", serial)
}

// backlogFile is one generated inbox file and what extraction should see.
type backlogFile struct {
	path   string
	format string // pdf, text, docx
}

// makeBacklog writes n files into dir: the corpus's text-layer files
// round-robin, made unique, with one generated text and one generated DOCX
// file in every 20 (all generated files when there is no corpus).
func makeBacklog(dir string, n int, corpus []corpusFile, seed uint64) ([]backlogFile, error) {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []backlogFile
	j := 0
	for i := 0; i < n; i++ {
		var name, format string
		var data []byte
		switch {
		case len(corpus) > 0 && i%20 < 18:
			c := corpus[j%len(corpus)]
			j++
			name, data, format = fmt.Sprintf("%05d-%s", i, c.name), c.unique(i), "text"
			if c.pdf {
				format = "pdf"
			}
		case i%2 == 0:
			k := kinds[r.IntN(len(kinds))]
			name, data, format = fmt.Sprintf("%05d-gen-%s.txt", i, k), []byte(genText(k, i, r)), "text"
		default:
			k := kinds[r.IntN(len(kinds))]
			b, err := docx(genText(k, i, r))
			if err != nil {
				return nil, err
			}
			name, data, format = fmt.Sprintf("%05d-gen-%s.docx", i, k), b, "docx"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
		out = append(out, backlogFile{path: p, format: format})
	}
	return out, nil
}

// makeSmallTexts writes n small generated text files into dir, spread over
// subfolders of 1000 (as a scanner's dated folders would be).
func makeSmallTexts(dir string, n int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 2))
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("batch-%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		k := kinds[i%len(kinds)]
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("doc-%06d.txt", i)), []byte(genText(k, i, r)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// benchConfig is the part of classifyd's configuration the scenarios vary.
type benchConfig struct {
	inbox, output, state string
	backend, baseURL     string
	settle, window       time.Duration
	batchSize, conc      int
	pollMin              time.Duration
}

// write renders the configuration (defaults for whatever is zero) with the
// dev corpus's rules.
func (c benchConfig) write(path string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "inbox: %q\noutput: %q\nstate: %q\n", c.inbox, c.output, c.state)
	if c.backend != "" {
		fmt.Fprintf(&b, "backend:\n  kind: %s\n", c.backend)
		if c.baseURL != "" {
			fmt.Fprintf(&b, "  base_url: %q\n", c.baseURL)
		}
	}
	if c.window > 0 || c.batchSize > 0 || c.conc > 0 {
		b.WriteString("batch:\n")
		if c.batchSize > 0 {
			fmt.Fprintf(&b, "  size: %d\n", c.batchSize)
		}
		if c.window > 0 {
			fmt.Fprintf(&b, "  window: %s\n", c.window)
		}
		if c.conc > 0 {
			fmt.Fprintf(&b, "  concurrency: %d\n", c.conc)
		}
	}
	if c.pollMin > 0 {
		fmt.Fprintf(&b, "poll:\n  min_interval: %s\n", c.pollMin)
	}
	if c.settle > 0 {
		fmt.Fprintf(&b, "watch:\n  settle: %s\n", c.settle)
	}
	b.WriteString("rules:\n")
	for _, k := range kinds {
		fmt.Fprintf(&b, "  - type: %s\n    description: %q\n", k, ruleDescriptions[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
