package hclspec

import (
	"io"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics renders diags with the source line each one points at,
// for the CLI. width wraps the text (0: no wrapping); color adds ANSI colors.
func WriteDiagnostics(w io.Writer, files []File, diags hcl.Diagnostics, width uint, color bool) error {
	m := make(map[string]*hcl.File, len(files))
	for _, f := range files {
		m[f.Name] = &hcl.File{Bytes: f.Data}
	}
	return hcl.NewDiagnosticTextWriter(w, m, width, color).WriteDiagnostics(diags)
}
