package sorter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTemplateErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"invoice/{yaer}", "unknown placeholder {yaer}"},
		{"invoice/{year", "{ without }"},
		{"invoice/year}", "} without {"},
		{"{}", "unknown placeholder {}"},
	} {
		if _, err := ParseTemplate(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseTemplate(%q) = %v, want %q", c.in, err, c.want)
		}
	}
	if tm, err := ParseTemplate("a{{b}}"); err != nil || !tm.Static() || tm.Folder(Values{}) != "a{b}" {
		t.Errorf("literal braces: %v %v", tm, err)
	}
}

func TestTemplateExpansion(t *testing.T) {
	mtime := time.Date(2024, 3, 7, 10, 0, 0, 0, time.UTC)
	v := func(src string) Values { return ValuesOf(src, "/in", "invoice", mtime, 0.876) }
	cases := []struct {
		name, folder, nameT, src string
		wantDir, wantName        string
	}{
		{"plain", "invoice", "", "/in/a.pdf", "invoice", "a.pdf"},
		{"date", "Finance/Invoices/{year}", "{stem}.{ext}", "/in/a.pdf", "Finance/Invoices/2024", "a.pdf"},
		{"month day", "inv/{year}/{month}/{day}", "{year}-{month}-{day} {stem}.{ext}", "/in/a.pdf", "inv/2024/03/07", "2024-03-07 a.pdf"},
		{"type and confidence", "{type}/x", "{type}-{confidence}.{ext}", "/in/a.pdf", "invoice/x", "invoice-0.88.pdf"},
		{"no ext", "inv", "{stem}.{ext}", "/in/README", "inv", "README"},
		{"dotfile-like", "inv", "{stem}.{ext}", "/in/.bashrc", "inv", ".bashrc"},
		{"source dir", "inv/{source_dir}", "", "/in/scanner1/a.pdf", "inv/scanner1", "a.pdf"},
		{"source dir at top drops out", "inv/{source_dir}", "", "/in/a.pdf", "inv", "a.pdf"},
		// Hostile values never make a path: no separators, no climbing.
		{"dotdot source dir", "inv/{source_dir}", "{source_dir}", "/in/../a.pdf", "inv/_", "_"},
		{"stem with dots", "inv/{stem}", "{stem}", "/in/...pdf", "inv/..", ".."},
		{"backslash", "inv/{stem}", "", "/in/a\\..\\b.pdf", "inv/a_.._b", "a\\..\\b.pdf"},
		{"newline", "inv", "{stem}.{ext}", "/in/a\nb.pdf", "inv", "a_b.pdf"},
		{"empty name keeps own", "inv", "{source_dir}", "/in/a.pdf", "inv", "a.pdf"},
		{"long name", "inv", "{stem}{stem}.{ext}", "/in/" + strings.Repeat("x", 200) + ".pdf", "inv", strings.Repeat("x", 251) + ".pdf"},
	}
	out := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(Options{Output: out, TypeFolder: map[string]string{"invoice": c.folder}, TypeName: map[string]string{"invoice": c.nameT},
				Unmatched: "_unmatched", Review: "_review", Failed: "_failed", Duplicates: "_duplicates"})
			dir, name := s.Resolve(KindType, "invoice", filepath.Base(c.src), v(c.src))
			if c.name == "stem with dots" {
				// "..." has stem ".." and ext "": both become "_".
				c.wantDir, c.wantName = "inv/_", "_"
			}
			if dir != filepath.Join(out, c.wantDir) || name != c.wantName {
				t.Errorf("got %q %q, want %q %q", dir, name, filepath.Join(out, c.wantDir), c.wantName)
			}
			if !within(filepath.Join(dir, name), out) {
				t.Errorf("%s escapes %s", filepath.Join(dir, name), out)
			}
		})
	}
}

func TestTemplateValuesNeverEscape(t *testing.T) {
	out := t.TempDir()
	s := New(Options{Output: out, TypeFolder: map[string]string{"t": "t/{source_dir}/{stem}/{ext}"}, TypeName: map[string]string{"t": "{stem}{ext}{source_dir}"},
		Unmatched: "_unmatched", Review: "_review", Failed: "_failed", Duplicates: "_duplicates"})
	for _, hostile := range []string{"..", ".", "/", "../../etc/passwd", "a/../../b", "\x00", "..\\..", " ", "\n", "{type}", "..\x00.."} {
		v := Values{Type: "t", Stem: hostile, Ext: hostile, SourceDir: hostile}
		dir, name := s.Resolve(KindType, "t", "f.pdf", v)
		p := filepath.Join(dir, name)
		if !within(p, filepath.Join(out, "t")) || strings.ContainsAny(name, "/\x00") || name == ".." || name == "." {
			t.Errorf("value %q: %q escapes or is no name", hostile, p)
		}
	}
}

func TestTemplateClashesWithOnConflict(t *testing.T) {
	out := t.TempDir()
	mk := func(policy string) *Sorter {
		return New(Options{Output: out, TypeFolder: map[string]string{"invoice": "inv/{year}"}, TypeName: map[string]string{"invoice": "{year}.{ext}"},
			Unmatched: "_unmatched", Review: "_review", Failed: "_failed", Duplicates: "_duplicates", OnConflict: policy})
	}
	v := Values{Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Ext: "pdf"}
	dir, name := mk(Rename).Resolve(KindType, "invoice", "a.pdf", v)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, name), nil, 0o644)
	// Two files of one round resolving to the same name, one name already there.
	planned := map[string]bool{}
	var got []string
	for range 2 {
		p, err := mk(Rename).PlanAs(name, dir, func(p string) bool { return planned[p] })
		if err != nil {
			t.Fatal(err)
		}
		planned[p] = true
		got = append(got, filepath.Base(p))
	}
	if got[0] != "2024 (1).pdf" || got[1] != "2024 (2).pdf" {
		t.Fatalf("rename: %v", got)
	}
	if _, err := mk(Skip).PlanAs(name, dir, nil); err == nil {
		t.Fatal("skip: a taken name is not an error")
	}
	if p, _ := mk(Overwrite).PlanAs(name, dir, nil); filepath.Base(p) != "2024.pdf" {
		t.Fatalf("overwrite: %s", p)
	}
}

func TestTypeAt(t *testing.T) {
	out := "/out"
	s := New(Options{Output: out, TypeFolder: map[string]string{
		"invoice": "Finance/{year}/Invoices", "receipt": "Finance/{year}/Receipts", "finance": "Finance", "letter": "Letters/{source_dir}",
	}, Unmatched: "_unmatched", Review: "_review", Failed: "_failed", Duplicates: "_duplicates"})
	for dir, want := range map[string]string{
		"Finance/2024/Invoices": "invoice", "Finance/2024/Receipts": "receipt", "Finance": "finance", "Finance/2024": "finance",
		"Letters": "letter", "Letters/bob": "letter", "Letters/bob/x": "letter", "Other": "",
	} {
		got, ok := s.TypeAt(filepath.Join(out, dir))
		if got != want || ok != (want != "") {
			t.Errorf("TypeAt(%s) = %q %v, want %q", dir, got, ok, want)
		}
	}
	roots := s.TypeRoots()
	if len(roots) != 2 {
		t.Errorf("TypeRoots = %v, want Finance and Letters", roots)
	}
}
