package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGolden pins the text a person reads first: the usage, each command's
// help with its examples, and the scenario list. Run with -update after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	tests := []struct {
		file string
		args []string
		code int
	}{
		{"usage.txt", []string{"help"}, exitOK},
		{"check-help.txt", []string{"check", "--help"}, exitOK},
		{"explain-help.txt", []string{"explain", "--help"}, exitOK},
		{"demo-help.txt", []string{"demo", "--help"}, exitOK},
		{"demo-list.txt", []string{"demo", "--list"}, exitOK},
		{"serve-help.txt", []string{"serve", "--help"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var out, errb bytes.Buffer
			e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
			if code := run(context.Background(), e, tt.args); code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
			path := filepath.Join("testdata", "golden", tt.file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := out.String(); got != string(want) {
				t.Errorf("%s differs from the golden file (run with -update and review):\ngot:\n%s\nwant:\n%s", tt.file, got, want)
			}
		})
	}
}
