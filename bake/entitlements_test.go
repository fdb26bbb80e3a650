package bake

import (
	"testing"

	"github.com/docker/buildx/util/buildflags"
)

func TestCheckEntitlements(t *testing.T) {
	p := &Plan{Targets: map[string]*Target{
		"a": {Entitlements: []string{"network.host", "device=nvidia.com/gpu=all"}},
		"b": {Entitlements: []string{"security.insecure"}, Outputs: []*buildflags.ExportEntry{{Type: "local", Destination: "out", Attrs: map[string]string{"mode": "delete"}}}},
	}}
	err := p.CheckEntitlements(nil)
	want := `additional privileges requested: pass "--allow=network.host --allow=device=nvidia.com/gpu=all --allow=security.insecure --allow=buildx.local.delete" to grant requested privileges`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant %s", err, want)
	}
	if err := p.CheckEntitlements([]string{"network.host", "security.insecure", "device", "buildx.local.delete"}); err != nil {
		t.Fatalf("all granted: %v", err)
	}
	if err := p.CheckEntitlements([]string{"bogus"}); err == nil {
		t.Fatal("unknown --allow value accepted")
	}
}
