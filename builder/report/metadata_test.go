package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
)

// buildx.build.warnings appears, deduplicated, only when asked for.
func TestMetadataWarnings(t *testing.T) {
	w := client.VertexWarning{Level: 1, Short: []byte("JSONArgsRecommended: x")}
	rep := &Report{Warnings: []client.VertexWarning{w, w}}
	if _, ok := Metadata(rep)["buildx.build.warnings"]; ok {
		t.Fatal("warnings written without BUILDX_METADATA_WARNINGS")
	}
	rep.MetadataWarnings = true
	b, err := json.Marshal(Metadata(rep))
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		W []client.VertexWarning `json:"buildx.build.warnings"`
	}
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	if len(md.W) != 1 || !strings.HasPrefix(string(md.W[0].Short), "JSONArgs") {
		t.Fatalf("warnings = %s", b)
	}
	on := func(v string) func(string) (string, bool) { return func(string) (string, bool) { return v, true } }
	if !MetadataWarningsEnabled(on("1")) || MetadataWarningsEnabled(on("no")) || MetadataWarningsEnabled(on("")) {
		t.Fatal("MetadataWarningsEnabled does not parse as buildx")
	}
}
