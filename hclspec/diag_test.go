package hclspec

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// The one rendering of HCL diagnostics: buildx's line for each error, then
// the source line and a caret under the range (tabs kept so it lines up).
func TestDiagnosticsErrorRendering(t *testing.T) {
	files := []File{
		{Name: "docker-bake.hcl", Data: []byte("target \"a\" {\n  tags = [1]\n}\n")},
		{Name: "tabs", Data: []byte("target \"b\" {\r\n\tx = nope\r\n}\r\n")},
	}
	rng := func(file string, l1, c1, l2, c2 int) *hcl.Range {
		return &hcl.Range{Filename: file, Start: hcl.Pos{Line: l1, Column: c1}, End: hcl.Pos{Line: l2, Column: c2}}
	}
	cases := []struct {
		name  string
		diags hcl.Diagnostics
		want  string
	}{
		{"one line", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsuitable value type", Detail: "string required", Subject: rng("docker-bake.hcl", 2, 10, 2, 13)}},
			"docker-bake.hcl:2,10-13: Unsuitable value type; string required\n     2 |   tags = [1]\n                  ^^^"},
		{"lines", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad block", Subject: rng("docker-bake.hcl", 1, 1, 3, 2)}},
			"docker-bake.hcl:1,1-3,2: Bad block\n     1 | target \"a\" {\n         ^"},
		// a file read without extension is named NAME.hcl in ranges
		{"tabs", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown variable", Subject: rng("tabs.hcl", 2, 6, 2, 10)}},
			"tabs.hcl:2,6-10: Unknown variable\n     2 | \tx = nope\n         \t    ^^^^"},
		{"no subject, warnings left out", hcl.Diagnostics{
			{Severity: hcl.DiagWarning, Summary: "Deprecated"},
			{Severity: hcl.DiagError, Summary: "First", Detail: "one"},
			{Severity: hcl.DiagError, Summary: "Second", Subject: rng("gone.hcl", 1, 1, 1, 2)},
		}, "First; one\ngone.hcl:1,1-2: Second"},
	}
	for _, tc := range cases {
		got := (&DiagnosticsError{Diags: tc.diags, Files: files}).Error()
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	if got := Located(*rng("docker-bake.hcl", 7, 23, 7, 29), "failed to find target bsae"); got != "docker-bake.hcl:7:23: failed to find target bsae" {
		t.Errorf("Located: %q", got)
	}
}
