package hclspec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse loads and evaluates arbitrary bytes as an HCL file and as an
// HCL-JSON file: it must neither panic nor hang. Seeds are the compat cases
// (testdata/compat) and the corpus under testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"*.hcl", "*.json", "*/*.hcl", "*/*.json", "buildx/*/*"} {
		m, _ := filepath.Glob(filepath.Join("testdata", "compat", pattern))
		seeds = append(seeds, m...)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, filepath.Ext(s) == ".json")
	}
	f.Add([]byte(`target "a" { tags = [target.a.tags] }`), false)
	f.Add([]byte(`{"target": {"a": {"tags": ["${target.b.tags}"]}, "b": {"tags": "${target.a.tags}"}}}`), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		name := "docker-bake.hcl"
		if isJSON {
			name = "docker-bake.json"
		}
		var c testConfig
		opts := Options{
			Defaults:      map[string]string{"BAKE_CMD_CONTEXT": "cwd://", "BAKE_LOCAL_PLATFORM": "linux/amd64"},
			LookupEnv:     env(map[string]string{"FUZZ": "1,2", "FUZZ_JSON": `["a"]`}),
			ValidateLabel: validateName,
		}
		_, diags := Parse([]File{{Name: name, Data: data}}, opts, &c)
		for _, d := range diags {
			if d.Severity == 0 || d.Summary == "" {
				t.Fatalf("malformed diagnostic %#v", d)
			}
		}
	})
}
