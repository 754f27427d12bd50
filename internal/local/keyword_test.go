package local

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/testutil/corpus"
)

func TestKeywordClassifier(t *testing.T) {
	rules := []api.Rule{
		{Type: "invoice", Description: "a bill with an invoice number and a total amount due"},
		{Type: "news_article", Description: "a news story reporting on current events, politics or sport"},
	}
	tests := []struct {
		name, text string
		want       string // "" = null
	}{
		{"invoice", "Invoice number 77. Total amount due: 40 EUR.", "invoice"},
		{"news", "The election results dominated the news; politics reporters covered the sport too.", "news_article"},
		{"nothing", "Lorem ipsum dolor sit amet.", ""},
		{"latin1", "Rechnung f\xfcr Ihre invoice, total amount", "invoice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "doc.txt")
			os.WriteFile(p, []byte(tt.text), 0o644)
			res, err := KeywordClassifier{}.Classify(context.Background(), p, rules, api.ModeFast, api.ParsingConfiguration{})
			if err != nil {
				t.Fatal(err)
			}
			if api.Deref(res.Type) != tt.want {
				t.Errorf("type %v, want %q (%s)", api.Deref(res.Type), tt.want, res.Reasoning)
			}
			if (res.Type == nil) != (tt.want == "") {
				t.Errorf("type %v, want null=%v", res.Type, tt.want == "")
			}
			if res.Confidence < 0 || res.Confidence > 1 || res.Reasoning == "" {
				t.Errorf("confidence %v reasoning %q", res.Confidence, res.Reasoning)
			}
			if tt.want == "" && res.Confidence != 0 {
				t.Errorf("no match but confidence %v", res.Confidence)
			}
		})
	}
	t.Run("binary", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.bin")
		os.WriteFile(p, []byte{0x7f, 'E', 'L', 'F', 0, 0}, 0o644)
		_, err := KeywordClassifier{}.Classify(context.Background(), p, rules, api.ModeFast, api.ParsingConfiguration{})
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("err = %v, want ErrUnsupported", err)
		}
	})
}

func TestKeywordClassifierPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed")
	}
	docs := corpus.File(t, "dev", "docs")
	entries, err := os.ReadDir(docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".pdf") {
			continue
		}
		k := KeywordClassifier{}
		text, err := k.text(context.Background(), filepath.Join(docs, e.Name()), api.ParsingConfiguration{MaxPages: api.Ptr(1)})
		if err != nil {
			continue // a scanned PDF has no text layer; try the next
		}
		if strings.TrimSpace(text) != "" {
			return
		}
	}
	t.Error("no PDF of the corpus gave any text through pdftotext")
}
