package hclspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// loadFiles parses each file by its extension, as buildx does: .json is
// HCL-JSON, .hcl is HCL, anything else is tried as HCL then as HCL-JSON
// (reporting the HCL errors if both fail). Errors of every file are returned.
func loadFiles(files []File) ([]*hcl.File, hcl.Diagnostics) {
	var (
		out   []*hcl.File
		diags hcl.Diagnostics
	)
	for _, f := range files {
		hf, fdiags := loadFile(f)
		diags = append(diags, fdiags...)
		if hf != nil && !fdiags.HasErrors() {
			out = append(out, hf)
		}
	}
	return out, diags
}

func loadFile(f File) (*hcl.File, hcl.Diagnostics) {
	if f.Parsed != nil {
		return f.Parsed, nil
	}
	switch {
	case strings.HasSuffix(f.Name, ".json"):
		return hclparse.NewParser().ParseJSON(f.Data, f.Name)
	case strings.HasSuffix(f.Name, ".hcl"):
		return hclparse.NewParser().ParseHCL(f.Data, f.Name)
	}
	hf, diags := hclparse.NewParser().ParseHCL(f.Data, f.Name)
	if !diags.HasErrors() {
		return hf, diags
	}
	if jf, jdiags := hclparse.NewParser().ParseJSON(f.Data, f.Name); !jdiags.HasErrors() {
		return jf, jdiags
	}
	return hf, diags
}
