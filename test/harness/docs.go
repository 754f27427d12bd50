package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Kinds are the document types the harness writes, one rule each.
var Kinds = []string{"invoice", "contract", "recipe", "resume"}

// RuleDescriptions are the rules' descriptions. Every word of a rule's type
// and description appears in its documents and in no other kind's, so any
// honest classifier (the keyword one included) files them by type.
var RuleDescriptions = map[string]string{
	"invoice":  "A bill from a supplier asking for payment: invoice number, amount due, due date, VAT, bank details.",
	"contract": "An agreement between parties that binds them: clauses, obligations, termination, governing law, signatures.",
	"recipe":   "Cooking instructions for a dish: ingredients, quantities, oven temperature, preparation steps, servings.",
	"resume":   "A curriculum vitae of a job applicant: work experience, education, skills, languages, references.",
}

var (
	firms   = []string{"Acme Widgets Ltd", "Northwind Traders", "Blue Harbour GmbH", "Kestrel Supplies", "Oakfield Partners", "Lumen Tools BV"}
	people  = []string{"Jane Example", "Ravi Kumar", "Ana Souza", "Tom Becker", "Mei Lin", "Olu Adeyemi"}
	dishes  = []string{"tomato soup", "lentil curry", "apple crumble", "mushroom risotto", "banana bread", "onion tart"}
	jobs    = []string{"software engineer", "accountant", "nurse", "electrician", "teacher", "chef de partie"}
	schools = []string{"University of Leeds", "TU Delft", "Lycee Victor Hugo", "Ohio State University"}
)

// Doc is one generated document.
type Doc struct {
	Name string // base name in the inbox
	Kind string
	Body []byte
	SHA  string // sha256 hex of Body
}

// NewDoc writes the text of document n of kind, unique by (tag, n).
func NewDoc(rng *rand.Rand, kind, tag string, n int) Doc {
	ref := fmt.Sprintf("Ref %s-%06d", tag, n)
	firm := firms[rng.IntN(len(firms))]
	person := people[rng.IntN(len(people))]
	var b strings.Builder
	switch kind {
	case "invoice":
		fmt.Fprintf(&b, "INVOICE\nInvoice number: INV-%06d\nSupplier: %s\nBill to: %s\n", n, firm, person)
		fmt.Fprintf(&b, "Date: 2024-%02d-%02d   Due date: 2024-%02d-%02d\n", 1+rng.IntN(12), 1+rng.IntN(28), 1+rng.IntN(12), 1+rng.IntN(28))
		fmt.Fprintf(&b, "Amount due: %d.%02d EUR, VAT included.\n", 10+rng.IntN(9000), rng.IntN(100))
		b.WriteString("We are asking for payment by bank transfer within 30 days. Bank details: IBAN DE00 1234 5678 9012.\n")
	case "contract":
		fmt.Fprintf(&b, "SERVICE CONTRACT\nThis agreement is made between the parties %s and %s and binds them as follows.\n", firm, person)
		b.WriteString("The clauses below set out the obligations of each side.\n")
		fmt.Fprintf(&b, "Clause 1. The provider delivers the services of annex A for %d months.\n", 1+rng.IntN(36))
		b.WriteString("Clause 2. Termination: either side may end this contract with three months notice.\n")
		b.WriteString("Clause 3. Governing law: the law of England and Wales.\nSignatures: ____________  ____________\n")
	case "recipe":
		dish := dishes[rng.IntN(len(dishes))]
		fmt.Fprintf(&b, "RECIPE: %s\nServings: %d\n", dish, 2+rng.IntN(6))
		fmt.Fprintf(&b, "Ingredients and quantities: %d g flour, %d eggs, 1 onion, salt, %d ml milk.\n", 100+rng.IntN(400), 1+rng.IntN(4), 100+rng.IntN(400))
		fmt.Fprintf(&b, "Preparation steps: heat the oven to a temperature of %d C; mix, bake %d minutes.\n", 160+rng.IntN(60), 15+rng.IntN(40))
		b.WriteString("Cooking instructions for the dish end here. Enjoy.\n")
	case "resume":
		fmt.Fprintf(&b, "CURRICULUM VITAE (RESUME)\nName: %s\nJob applicant for the position of %s.\n", person, jobs[rng.IntN(len(jobs))])
		fmt.Fprintf(&b, "Work experience: %d-%d at %s.\n", 1995+rng.IntN(20), 2015+rng.IntN(9), firm)
		fmt.Fprintf(&b, "Education: %s.\nSkills: planning, budgeting, teamwork.\nLanguages: English, German.\n", schools[rng.IntN(len(schools))])
		b.WriteString("References available on request. Curriculum vitae ends.\n")
	default:
		panic("harness: unknown kind " + kind)
	}
	b.WriteString(ref + "\n")
	body := []byte(b.String())
	return Doc{Name: fmt.Sprintf("%s-%s-%06d.txt", kind, tag, n), Kind: kind, Body: body, SHA: SHA(body)}
}

// NewDocs makes n documents of random kinds.
func NewDocs(rng *rand.Rand, tag string, n int) []Doc {
	out := make([]Doc, n)
	for i := range out {
		out[i] = NewDoc(rng, Kinds[rng.IntN(len(Kinds))], tag, i)
	}
	return out
}

// Write writes the document into dir under its name (one write, no rename:
// the daemon must wait for it to settle).
func (d Doc) Write(dir string) error {
	return os.WriteFile(filepath.Join(dir, d.Name), d.Body, 0o644)
}

// SHA is the sha256 hex of b.
func SHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// FileSHA is the sha256 hex of the file at path.
func FileSHA(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return SHA(b), nil
}
