package config

import (
	"fmt"
	"strings"

	"github.com/classifyd/classifyd/internal/sorter"
)

type fieldError struct {
	field string // ".folder", ".name"
	err   error
}

// checkTemplates checks a rule's folder and name templates and returns the
// folder as it stands for the rule ({type} put in, other placeholders
// kept), which two rules may not share, and its fixed prefix.
func checkTemplates(r Rule) (folder, prefix string, _ *fieldError) {
	folder = r.FolderOf()
	ft, err := sorter.ParseTemplate(folder)
	if err != nil {
		return "", "", &fieldError{".folder", err}
	}
	// The text around the placeholders must stay under output on its own:
	// "..", an absolute path or a NUL are refused before any value goes in.
	if err := checkFolder(ft.WithType(r.Type)); err != nil {
		return "", "", &fieldError{".folder", err}
	}
	for _, c := range strings.Split(folder, "/") {
		if c == ".." {
			return "", "", &fieldError{".folder", fmt.Errorf("%q must stay under output (no ..)", folder)}
		}
	}
	if !ft.Static() && ft.Prefix(r.Type) == "" {
		return "", "", &fieldError{".folder", fmt.Errorf("%q: a folder template starts with a fixed folder (%s/{year}, not {year}/%s), so people and the learner know where the type's files are", folder, r.Type, r.Type)}
	}
	if r.Name != "" {
		nt, err := sorter.ParseTemplate(r.Name)
		if err != nil {
			return "", "", &fieldError{".name", err}
		}
		s := nt.WithType(r.Type)
		if strings.ContainsAny(s, "/\\\x00") || s == "." || s == ".." || strings.TrimSpace(s) == "" {
			return "", "", &fieldError{".name", fmt.Errorf("%q: a name is a file name, without slashes (folders go in folder)", r.Name)}
		}
	}
	return ft.WithType(r.Type), ft.Prefix(r.Type), nil
}
