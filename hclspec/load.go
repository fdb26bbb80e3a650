package hclspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// loadFiles parses each file (ParseSyntax) unless it comes parsed. Errors of
// every file are returned.
func loadFiles(files []File) ([]*hcl.File, hcl.Diagnostics) {
	var (
		out   []*hcl.File
		diags hcl.Diagnostics
	)
	for _, f := range files {
		if f.Parsed == nil {
			var fdiags hcl.Diagnostics
			f, fdiags = ParseSyntax(f.Name, f.Data)
			diags = append(diags, fdiags...)
			if fdiags.HasErrors() {
				continue
			}
		}
		out = append(out, f.Parsed)
	}
	return out, diags
}

// ParseSyntax parses a bake file by its name, as buildx does: NAME.json is
// HCL-JSON, NAME.hcl is HCL, and anything else is tried as HCL, then as
// HCL-JSON, and named NAME.hcl or NAME.json after the syntax that parsed
// (diagnostics name it so); when neither does, the HCL diagnostics (for
// NAME.hcl) are returned. The File returned carries the parsed syntax.
// Large HCL files are parsed in pieces (parseHCL).
func ParseSyntax(name string, data []byte) (File, hcl.Diagnostics) {
	switch {
	case strings.HasSuffix(name, ".json"):
		pf, diags := hclparse.NewParser().ParseJSON(data, name)
		return File{Name: name, Data: data, Parsed: pf}, diags
	case strings.HasSuffix(name, ".hcl"):
		pf, diags := parseHCL(data, name)
		return File{Name: name, Data: data, Parsed: pf}, diags
	}
	pf, diags := parseHCL(data, name+".hcl")
	if !diags.HasErrors() {
		return File{Name: name + ".hcl", Data: data, Parsed: pf}, diags
	}
	if jf, jdiags := hclparse.NewParser().ParseJSON(data, name+".json"); !jdiags.HasErrors() {
		return File{Name: name + ".json", Data: data, Parsed: jf}, jdiags
	}
	return File{}, diags
}
