package engine

import (
	"hash/maphash"
	"reflect"
	"runtime"
	"strconv"
	"testing"

	snowball "github.com/blevesearch/snowballstem"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Invoice TOTAL", "invoice total"},
		{"Straße Größe", "strasse grosse"},
		{"Montant dû à l'échéance", "montant du a l'echeance"},
		{"ﬁnal ﬂow", "final flow"}, // NFKC ligatures
		{"Zürich\nGenève", "zurich\ngeneve"},
		{"ÀÉÎÕÜ", "aeiou"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := fold(tc.in); got != tc.want {
				t.Errorf("fold(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	got := tokenize(fold("Invoice #INV-2024/01: total €1,234.56 (incl. 19% VAT); e-mail: a@b.de"), 0)
	want := []string{"invoice", "inv", "2024", "01", "total", "1,234.56", "incl", "19", "vat", "e", "mail", "a", "b.de"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tokenize = %q\nwant %q", got, want)
	}
	if got := tokenize("a b c d", 2); len(got) != 2 {
		t.Errorf("max tokens: got %d", len(got))
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ lang, a, b string }{
		{"en", "invoices", "invoice"},
		{"en", "signatures", "signature"},
		{"en", "signed", "signing"},
		{"de", "rechnungen", "rechnung"},
		{"de", "vertrages", "vertrag"},
		{"fr", "factures", "facture"},
		{"nl", "facturen", "factuur"},
		{"es", "facturas", "factura"},
		{"it", "fatture", "fattura"},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.a, func(t *testing.T) {
			if sa, sb := stem(tc.lang, tc.a), stem(tc.lang, tc.b); sa != sb {
				t.Errorf("stem(%s, %q) = %q, stem(%q) = %q: want equal", tc.lang, tc.a, sa, tc.b, sb)
			}
		})
	}
	if got := stem("en", "12.50"); got != "12.50" {
		t.Errorf("numbers are not stemmed: %q", got)
	}
	if got := stem("xx", "words"); got != "words" {
		t.Errorf("unknown language leaves words: %q", got)
	}
}

func TestDetectLanguage(t *testing.T) {
	tests := []struct{ text, want string }{
		{"The invoice is due at the end of the month and should be paid to the account below.", "en"},
		{"Die Rechnung ist bis zum Ende des Monats zu bezahlen, und zwar auf das unten genannte Konto.", "de"},
		{"La facture est payable à la fin du mois sur le compte indiqué ci-dessous, avec les frais.", "fr"},
		{"De factuur moet voor het einde van de maand worden betaald op de rekening hieronder.", "nl"},
		{"La factura se debe pagar antes del final del mes en la cuenta que se indica abajo.", "es"},
		{"La fattura deve essere pagata entro la fine del mese sul conto indicato di seguito.", "it"},
		{"12.50 4.00 16.50", "en"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := detectLanguage(tokenize(fold(tc.text), 0)); got != tc.want {
				t.Errorf("detectLanguage(%q) = %s, want %s", tc.text, got, tc.want)
			}
		})
	}
}

func TestSplitTypeName(t *testing.T) {
	tests := map[string]string{
		"news_article":   "news article",
		"TaxForm":        "Tax Form",
		"purchase-order": "purchase order",
		"cv":             "cv",
		"e.mail":         "e mail",
	}
	for in, want := range tests {
		if got := splitTypeName(in); got != want {
			t.Errorf("splitTypeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLexiconPatterns(t *testing.T) {
	toks := tokenize(fold("Der Mietvertrag und die Rechnungsnummer; invoices due; bill to"), 0)
	tests := []struct {
		pat  string
		want bool
	}{
		{"*vertrag", true},     // compound ending
		{"rechnung*", true},    // prefix
		{"invoice*", true},     // inflection
		{"bill to", true},      // phrase
		{"bill from", false},   // phrase that is not there
		{"vertrag*", false},    // "mietvertrag" does not start with it
		{"invoices due", true}, // exact phrase
	}
	for _, tc := range tests {
		t.Run(tc.pat, func(t *testing.T) {
			p := compilePattern(tc.pat)
			got := false
			for i := range toks {
				if p.matchAt(toks, i) {
					got = true
				}
			}
			if got != tc.want {
				t.Errorf("%q in %q: got %v, want %v", tc.pat, toks, got, tc.want)
			}
		})
	}
}

// A stream of distinct words (names, references, misspellings: every
// document brings its own) does not grow the stem cache: the heap after
// 200,000 new words is within a bound of the heap after the first ones, and
// stems stay right throughout.
func TestStemCacheBounded(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for i := range stemSlots {
		stem("en", "warm"+strconv.Itoa(i)+"ings")
	}
	before := heap()
	for i := range 200_000 {
		w := "zqx" + strconv.Itoa(i) + "ings"
		if got := stem("en", w); got != "zqx"+strconv.Itoa(i)+"ing" {
			t.Fatalf("stem(%q) = %q", w, got)
		}
	}
	if grew := int64(heap()) - int64(before); grew > 2<<20 {
		t.Fatalf("the heap grew by %d bytes over 200,000 distinct words", grew)
	}
	if a, b := stem("en", "invoices"), stem("en", "invoice"); a != b {
		t.Fatalf("stem(invoices) = %q, stem(invoice) = %q", a, b)
	}
}

// Words that share a slot, and one word in two languages, never get each
// other's stems.
func TestStemCacheCollisions(t *testing.T) {
	direct := func(lang, w string) string {
		env := snowball.NewEnv(w)
		stemmers[lang](env)
		return env.Current()
	}
	slotOf := func(w string) uint64 { return maphash.String(stems.seed, w) & (stemSlots - 1) }
	a := "agreements"
	var b string
	for i := 0; b == ""; i++ {
		if w := "payment" + strconv.Itoa(i) + "s"; slotOf(w) == slotOf(a) {
			b = w
		}
	}
	for range 3 {
		for _, w := range []string{a, b} {
			if got, want := stem("en", w), direct("en", w); got != want {
				t.Fatalf("stem(en, %q) = %q, want %q", w, got, want)
			}
		}
		for _, lang := range []string{"en", "de", "fr"} {
			if got, want := stem(lang, "rechnungen"), direct(lang, "rechnungen"); got != want {
				t.Fatalf("stem(%s, rechnungen) = %q, want %q", lang, got, want)
			}
		}
	}
	if direct("en", "rechnungen") == direct("de", "rechnungen") {
		t.Fatal("the languages agree on the test word: it tests nothing")
	}
}
