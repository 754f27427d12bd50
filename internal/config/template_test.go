package config

import (
	"os"
	"strings"
	"testing"
)

func TestTemplateErrors(t *testing.T) {
	rule := func(extra string) string { return "rules:\n  - type: a\n    description: x\n" + extra }
	cases := []struct{ name, yaml, want string }{
		{"unknown placeholder", rule("    folder: a/{yaer}\n"), "c.yaml:4: rules[0].folder: \"a/{yaer}\": unknown placeholder {yaer}"},
		{"unknown in name", rule("    name: \"{stem}.{extension}\"\n"), "c.yaml:4: rules[0].name: \"{stem}.{extension}\": unknown placeholder {extension}"},
		{"unclosed", rule("    folder: a/{year\n"), "c.yaml:4: rules[0].folder"},
		{"climbs", rule("    folder: a/{year}/../../x\n"), "rules[0].folder"},
		{"absolute", rule("    folder: /a/{year}\n"), "rules[0].folder"},
		{"no fixed prefix", rule("    folder: \"{year}/a\"\n"), "a folder template starts with a fixed folder"},
		{"slash in name", rule("    name: \"{year}/{stem}\"\n"), "rules[0].name"},
		{"dotdot name", rule("    name: \"..\"\n"), "rules[0].name"},
		{"inside a special folder", rule("    folder: _review/{year}\n"), "inside folders.review"},
		{"same template twice", "rules:\n  - type: a\n    description: x\n    folder: d/{year}\n  - type: b\n    description: y\n    folder: d/{year}\n", "c.yaml:7: rules[1].folder: folder \"d/{year}\" is also the folder of type \"a\""},
		{"bad template_date", "template_date: mtime\n" + rule(""), "c.yaml:1: template_date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "c.yaml", t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTemplatesAccepted(t *testing.T) {
	y := "template_date: filed\nrules:\n  - type: invoice\n    description: x\n    folder: Finance/Invoices/{year}\n    name: \"{stem}.{ext}\"\n  - type: receipt\n    description: y\n    folder: \"{type}/{year}/{month}\"\n    name: \"{year}-{month}-{day} {stem} ({confidence}).{ext}\"\n  - type: letter\n    description: z\n    folder: \"Letters/{source_dir}\"\n"
	c, err := Parse([]byte(y), "c.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if c.TemplateDate != DateFiled || c.Rules[0].Name != "{stem}.{ext}" {
		t.Fatalf("%+v", c)
	}
}

func TestPermissions(t *testing.T) {
	rules := "rules:\n  - type: a\n    description: x\n"
	c, err := Parse([]byte(rules), "c.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if d, f := c.Permissions.Modes(); d != 0o775|os.ModeSetgid || f != 0o664 {
		t.Fatalf("defaults %v %v", d, f)
	}
	// Unquoted octal numbers are read as octal too.
	c, err = Parse([]byte("permissions:\n  folder_mode: 0770\n  file_mode: 640\n"+rules), "c.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if d, f := c.Permissions.Modes(); d != 0o770 || f != 0o640 {
		t.Fatalf("unquoted: %v %v", d, f)
	}
	for y, want := range map[string]string{
		"permissions:\n  folder_mode: rwx\n":    "c.yaml:2: permissions.folder_mode",
		"permissions:\n  file_mode: \"0775\"\n": "c.yaml:2: permissions.file_mode: \"0775\": a filed document is not executable",
		"permissions:\n  file_mode: 99999\n":    "permissions.file_mode",
	} {
		if _, err := Parse([]byte(y+rules), "c.yaml", t.TempDir()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", y, err, want)
		}
	}
}
