package hclspec

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Every error kiln prints about an HCL file is rendered here: diagnostics
// (DiagnosticsError, buildx's text) and the errors found after evaluation
// that point at a range (Located).

// DiagnosticsError is an error of diagnostics about HCL files (parsing or
// evaluating them). Its message has a line for each error diagnostic, as
// buildx prints it (file:line,col-col: summary; detail), followed by the
// source line it points at and a caret under the range; Files holds the
// sources to quote.
type DiagnosticsError struct {
	Diags hcl.Diagnostics
	Files []File
}

func (e *DiagnosticsError) Error() string {
	var b strings.Builder
	n := 0
	for _, d := range e.Diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if n > 0 {
			b.WriteString("\n")
		}
		n++
		b.WriteString(e.render(d))
	}
	return b.String()
}

func (e *DiagnosticsError) Unwrap() error { return e.Diags }

func (e *DiagnosticsError) render(d *hcl.Diagnostic) string {
	msg := d.Summary
	if d.Detail != "" {
		msg += "; " + d.Detail
	}
	if d.Subject == nil {
		return msg
	}
	r := d.Subject
	out := fmt.Sprintf("%s:%d,%d-%d: %s", r.Filename, r.Start.Line, r.Start.Column, r.End.Column, msg)
	if r.Start.Line != r.End.Line {
		out = fmt.Sprintf("%s:%d,%d-%d,%d: %s", r.Filename, r.Start.Line, r.Start.Column, r.End.Line, r.End.Column, msg)
	}
	line, ok := e.sourceLine(r.Filename, r.Start.Line)
	if !ok {
		return out
	}
	prefix := fmt.Sprintf("  %4d | ", r.Start.Line)
	caretLen := 1
	if r.End.Line == r.Start.Line && r.End.Column > r.Start.Column {
		caretLen = r.End.Column - r.Start.Column
	}
	col := r.Start.Column - 1
	if col > len(line) {
		col = len(line)
	}
	pad := strings.Map(func(c rune) rune {
		if c == '\t' {
			return '\t'
		}
		return ' '
	}, line[:col])
	return out + "\n" + prefix + line + "\n" + strings.Repeat(" ", len(prefix)) + pad + strings.Repeat("^", caretLen)
}

// sourceLine is line n of file filename; files bake names without an
// extension are named NAME.hcl or NAME.json in ranges (ParseSyntax).
func (e *DiagnosticsError) sourceLine(filename string, n int) (string, bool) {
	for _, f := range e.Files {
		if f.Name != filename && f.Name+".hcl" != filename && f.Name+".json" != filename {
			continue
		}
		lines := bytes.Split(f.Data, []byte("\n"))
		if n < 1 || n > len(lines) {
			return "", false
		}
		return strings.TrimRight(string(lines[n-1]), "\r"), true
	}
	return "", false
}

// Located is msg placed at r as file:line:col, the way every error and
// warning about an HCL file that is not a diagnostic starts.
func Located(r hcl.Range, msg string) string {
	return fmt.Sprintf("%s:%d:%d: %s", r.Filename, r.Start.Line, r.Start.Column, msg)
}
