package request

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/buildx/util/buildflags"
)

// TestPolicyGroups checks the composition of Dockerfile.rego and policy
// entries against buildx's withPolicyConfig rules.
func TestPolicyGroups(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "Dockerfile.rego")
	if err := os.WriteFile(def, []byte("package docker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	parse := func(s ...string) []buildflags.PolicyConfig {
		c, err := buildflags.ParsePolicyConfigs(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name    string
		def     bool
		configs []buildflags.PolicyConfig
		want    string // files of each group, "|" between groups; "strict:" marks strict
		err     string
	}{
		{name: "none"},
		{name: "default only", def: true, want: "Dockerfile.rego"},
		{name: "default and extra", def: true, configs: parse("filename=extra.rego"), want: "Dockerfile.rego|extra.rego"},
		{name: "reset drops default", def: true, configs: parse("filename=extra.rego,reset=true"), want: "extra.rego"},
		{name: "strict applies to last group", def: true, configs: parse("strict=true"), want: "strict:Dockerfile.rego"},
		{name: "strict before files carries over", configs: parse("strict=true", "filename=a.rego"), want: "strict:a.rego"},
		{name: "disabled", def: true, configs: parse("disabled=true")},
		{name: "disabled combined", configs: parse("filename=a.rego", "disabled=true"), err: "disabled policy cannot be combined with other policy flags"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &PolicySpec{Configs: c.configs}
			if c.def {
				s.Default, s.DefaultName = def, "Dockerfile.rego"
			}
			gs, err := s.Groups()
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, g := range gs {
				var names []string
				for _, f := range g.Files {
					names = append(names, f.Filename)
				}
				p := strings.Join(names, ",")
				if g.Strict {
					p = "strict:" + p
				}
				parts = append(parts, p)
			}
			if got := strings.Join(parts, "|"); got != c.want {
				t.Errorf("groups %q, want %q", got, c.want)
			}
		})
	}
}
