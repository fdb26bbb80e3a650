package hclspec

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
)

func TestLoadFiles(t *testing.T) {
	cases := []struct {
		name string
		file File
		err  string // first error; "" for none
	}{
		{name: "hcl by extension", file: File{Name: "a.hcl", Data: []byte(`x = 1`)}},
		{name: "json by extension", file: File{Name: "a.json", Data: []byte(`{"x": 1}`)}},
		{name: "json content under another name", file: File{Name: "bakefile", Data: []byte(`{"x": 1}`)}},
		{
			name: "hcl content named .json",
			file: File{Name: "a.json", Data: []byte(`x = 1`)},
			err:  "a.json:1,1-2: Invalid JSON keyword",
		},
		{
			name: "neither: the HCL error is reported, for NAME.hcl as buildx names it",
			file: File{Name: "bakefile", Data: []byte("x = [\n")},
			err:  "bakefile.hcl:2,1-1: Missing expression; Expected the start of an expression, but found the end of the file.",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.file.Name == "bakefile" && tc.err == "" {
				if f, _ := ParseSyntax(tc.file.Name, tc.file.Data); f.Name != "bakefile.json" {
					t.Errorf("JSON under another name is named %q, want bakefile.json as in buildx", f.Name)
				}
			}
			files, diags := loadFiles([]File{tc.file})
			if tc.err == "" {
				if diags.HasErrors() || len(files) != 1 {
					t.Fatalf("got %d files, %v", len(files), diags)
				}
				return
			}
			if !diags.HasErrors() || !strings.HasPrefix(diags[0].Error(), tc.err) {
				t.Fatalf("got %v, want %q", diags, tc.err)
			}
		})
	}
}

func TestParsedFileIsNotParsedAgain(t *testing.T) {
	data := []byte(`target "a" { tags = ["from-data"] }`)
	parsed, diags := hclparse.NewParser().ParseHCL([]byte(`target "a" { tags = ["from-parsed"] }`), "a.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var c testConfig
	if _, diags := Parse([]File{{Name: "a.hcl", Data: data, Parsed: parsed}}, Options{}, &c); diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := c.Targets[0].Tags; len(got) != 1 || got[0] != "from-parsed" {
		t.Fatalf("tags = %v, want [from-parsed]", got)
	}
}
