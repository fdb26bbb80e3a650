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
		builtin bool // $BUILDX_DEFAULT_POLICY
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
		{name: "builtin first", builtin: true, def: true, configs: parse("filename=extra.rego"), want: "buildx_default_policy.rego|Dockerfile.rego|extra.rego"},
		{name: "builtin alone", builtin: true, want: "buildx_default_policy.rego"},
		{name: "builtin survives reset", builtin: true, def: true, configs: parse("filename=extra.rego,reset=true"), want: "buildx_default_policy.rego|extra.rego"},
		{name: "builtin disabled", builtin: true, def: true, configs: parse("disabled=true")},
		{name: "disabled combined", configs: parse("filename=a.rego", "disabled=true"), err: "disabled policy cannot be combined with other policy flags"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &PolicySpec{Configs: c.configs, Builtin: c.builtin}
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

// TestPolicyBuiltinEnv: BUILDX_DEFAULT_POLICY is read as buildx's
// policy.DefaultPolicyEnabled reads it (strconv.ParseBool, off otherwise),
// and the verifier's state goes to buildx's config directory.
func TestPolicyBuiltinEnv(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env     map[string]string
		builtin bool
		config  string
	}{
		{env: map[string]string{"BUILDX_CONFIG": "/bx"}, config: "/bx"},
		{env: map[string]string{"BUILDX_DEFAULT_POLICY": "1", "DOCKER_CONFIG": "/dc"}, builtin: true, config: "/dc/buildx"},
		{env: map[string]string{"BUILDX_DEFAULT_POLICY": "true", "BUILDX_CONFIG": "/bx"}, builtin: true, config: "/bx"},
		{env: map[string]string{"BUILDX_DEFAULT_POLICY": "yes", "BUILDX_CONFIG": "/bx"}, config: "/bx"},
		{env: map[string]string{"BUILDX_DEFAULT_POLICY": "0", "BUILDX_CONFIG": "/bx"}, config: "/bx"},
	} {
		ctx := dir
		r, err := Translate("default", &Target{Context: &ctx}, Options{LookupEnv: func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }})
		if err != nil {
			t.Fatal(err)
		}
		if r.Policy.Builtin != c.builtin || r.Policy.ConfigDir != c.config {
			t.Errorf("env %v: builtin %v, config dir %q; want %v, %q", c.env, r.Policy.Builtin, r.Policy.ConfigDir, c.builtin, c.config)
		}
	}
}
