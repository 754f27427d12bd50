// Package corpus finds the labelled development corpora for tests. They live
// beside the repository, in ../shared/corpus/<name> (labels.csv, rules.yaml,
// docs/), and are never copied into it, so a plain clone does not have them.
//
// Every test that reads a corpus goes through this package, which decides
// what a missing corpus means: with CI set to true (as .ci/run runs) it is a
// failure, since a CI run that skipped the corpus tests would pass having
// checked nothing; elsewhere it is a skip that names the folder it looked in.
//
// The package reads files; it owns no state and imports nothing of classifyd,
// so any package's tests can use it.
package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
)

// Root is the folder that holds the corpora: ../shared/corpus from the
// repository root, found from this file so it does not depend on the
// package a test runs in.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "corpus")
}

// Required reports whether a missing corpus fails the test: CI is set to a
// true value.
func Required() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// Dir is the corpus name (for example "dev" or "dev-b"); its labels.csv must
// exist, or the test fails under CI and is skipped elsewhere.
func Dir(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(Root(), name)
	need(t, name, filepath.Join(dir, "labels.csv"))
	return dir
}

// File is rel (a file or folder) in the corpus name, which must exist, or
// the test fails under CI and is skipped elsewhere.
func File(t testing.TB, name, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t, name), filepath.FromSlash(rel))
	need(t, name, p)
	return p
}

// PDFs lists the PDFs of the corpus name's docs folder, sorted. A corpus
// that is present with no PDFs is broken and fails the test.
func PDFs(t testing.TB, name string) []string {
	t.Helper()
	docs := File(t, name, "docs")
	files, err := filepath.Glob(filepath.Join(docs, "*.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("corpus %s: no PDFs in %s", name, docs)
	}
	sort.Strings(files)
	return files
}

func need(t testing.TB, name, path string) {
	t.Helper()
	_, err := os.Stat(path)
	if err == nil {
		return
	}
	if Required() {
		t.Fatalf("corpus %s is missing (%v): with CI=true the corpus tests must run; put the shared folder beside the repository so that %s exists", name, err, Root())
		return
	}
	t.Skipf("corpus %s not found (%v); these tests run with ../shared/corpus beside the repository", name, err)
}
