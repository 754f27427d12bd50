package extract

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func utf16Bytes(t *testing.T, s string, order unicode.Endianness, bom unicode.BOMPolicy) []byte {
	t.Helper()
	b, err := unicode.UTF16(order, bom).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func latin1(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPlainTextEncodings(t *testing.T) {
	const want = "Grüße aus Köln – “Rechnung” Nr. 42\nZeile zwei €"
	crlf := strings.ReplaceAll(want, "\n", "\r\n")
	tests := []struct {
		name string
		file string
		data []byte
	}{
		{"utf8", "a.txt", []byte(want)},
		{"utf8 bom crlf", "a.txt", append([]byte{0xef, 0xbb, 0xbf}, crlf...)},
		{"utf16le bom", "a.txt", utf16Bytes(t, crlf, unicode.LittleEndian, unicode.UseBOM)},
		{"utf16be bom", "a.md", utf16Bytes(t, want, unicode.BigEndian, unicode.UseBOM)},
		{"utf16le no bom", "a.txt", utf16Bytes(t, want, unicode.LittleEndian, unicode.IgnoreBOM)},
		{"windows-1252", "a.csv", latin1(t, crlf)},
		{"old mac line ends", "a.txt", []byte(strings.ReplaceAll(want, "\n", "\r"))},
	}
	e := newExtractor(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustExtract(t, e, writeFile(t, tt.file, tt.data), Options{})
			if doc.Text != want || doc.Format != "text" || doc.Pages != 1 {
				t.Fatalf("got %q format %q pages %d", doc.Text, doc.Format, doc.Pages)
			}
		})
	}
}

func TestHTML(t *testing.T) {
	page := `<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<title>Facture n° 7</title>
<style>p { color: red }</style>
<script>var secret = "do not show";</script>
</head><body>
<h1>Facture</h1><p>Montant dû : 12,50&nbsp;€</p>
<div>ligne<br>suivante</div>
<table><tr><td>Article</td><td>Prix</td></tr><tr><td>Café</td><td>2</td></tr></table>
<noscript>enable js</noscript>
<pre>  keep
  layout</pre>
</body></html>`
	data := latin1(t, page) // the meta says Latin-1 and the bytes are
	doc := mustExtract(t, newExtractor(t, Config{}), writeFile(t, "f.html", data), Options{})
	if doc.Format != "html" || doc.Title != "Facture n° 7" {
		t.Fatalf("format %q title %q", doc.Format, doc.Title)
	}
	for _, want := range []string{"Facture\nMontant dû : 12,50 €\n", "ligne\nsuivante", "Article\tPrix\nCafé\t2", "  keep\n  layout"} {
		if !strings.Contains(doc.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, doc.Text)
		}
	}
	for _, bad := range []string{"secret", "color", "enable js", "Facture n° 7"} {
		if strings.Contains(doc.Text, bad) {
			t.Errorf("text contains %q:\n%s", bad, doc.Text)
		}
	}
}

func TestHTMLUTF8WithoutMeta(t *testing.T) {
	// No charset anywhere and the first 1024 bytes are ASCII: the bytes are
	// UTF-8 and must not be read as Windows-1252.
	page := "<html><body><p>" + strings.Repeat("padding ", 200) + "</p><p>Zürich €</p></body></html>"
	doc := mustExtract(t, newExtractor(t, Config{}), writeFile(t, "u.htm", []byte(page)), Options{})
	if !strings.Contains(doc.Text, "Zürich €") {
		t.Fatalf("text = %q", doc.Text[len(doc.Text)-40:])
	}
}

func TestEML(t *testing.T) {
	msg := "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.com>\r\n" +
		"To: accounts@example.org\r\n" +
		"Subject: =?ISO-8859-1?Q?Rechnung_f=FCr_M=E4rz?=\r\n" +
		"Date: Mon, 3 Mar 2025 10:00:00 +0100\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n" +
		"\r\n" +
		"--b1\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n" +
		"\r\n" +
		"Sehr geehrte Damen und Herren, anbei die Rechnung =FCber 12,50 EUR.=\r\n" +
		" Gr=FC=DFe\r\n" +
		"--b1\r\n" +
		"Content-Type: application/pdf\r\n" +
		"Content-Disposition: attachment; filename=\"rechnung-2025-03.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n" +
		"\r\n" +
		"JVBERi0xLjQK\r\n" +
		"--b1--\r\n"
	doc := mustExtract(t, newExtractor(t, Config{}), writeFile(t, "m.eml", []byte(msg)), Options{})
	if doc.Format != "eml" || doc.Title != "Rechnung für März" {
		t.Fatalf("format %q title %q", doc.Format, doc.Title)
	}
	wantStart := "From: Jürgen Müller <jm@example.com>\nTo: accounts@example.org\nSubject: Rechnung für März\nDate: Mon, 3 Mar 2025 10:00:00 +0100\n\nSehr geehrte Damen und Herren, anbei die Rechnung über 12,50 EUR. Grüße"
	if !strings.HasPrefix(doc.Text, wantStart) {
		t.Fatalf("text:\n%s\nwant prefix:\n%s", doc.Text, wantStart)
	}
	if !strings.Contains(doc.Text, "Attachments: rechnung-2025-03.pdf") {
		t.Fatalf("no attachment line:\n%s", doc.Text)
	}
}

func TestEMLHTMLOnly(t *testing.T) {
	msg := "From: shop@example.com\nTo: me@example.com\nSubject: Your receipt\nContent-Type: text/html; charset=utf-8\n\n" +
		"<html><head><style>.x{}</style></head><body><h2>Receipt</h2><p>Total: 9.99</p></body></html>\n"
	doc := mustExtract(t, newExtractor(t, Config{}), writeFile(t, "noext", []byte(msg)), Options{})
	if doc.Format != "eml" {
		t.Fatalf("format %q", doc.Format)
	}
	if !strings.Contains(doc.Text, "Subject: Your receipt\n") || !strings.Contains(doc.Text, "Receipt\nTotal: 9.99") || strings.Contains(doc.Text, ".x{}") {
		t.Fatalf("text:\n%s", doc.Text)
	}
}
