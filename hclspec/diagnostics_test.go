package hclspec

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteDiagnostics(t *testing.T) {
	files := []File{{Name: "docker-bake.hcl", Data: []byte("target \"a\" {\n  tags = [NOPE]\n}\n")}}
	var c testConfig
	_, diags := Parse(files, Options{}, &c)
	if !diags.HasErrors() {
		t.Fatal("expected an error")
	}
	var buf bytes.Buffer
	if err := WriteDiagnostics(&buf, files, diags, 0, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"Error: Unknown variable",
		"on docker-bake.hcl line 2",
		`tags = [NOPE]`,
		`There is no variable named "NOPE".`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
