package hclspec

import (
	"encoding/json"
	"strings"
	"testing"
)

// parseCase is one table entry: files in order, options, and either the
// expected targets/groups as JSON or the expected first error.
type parseCase struct {
	name  string
	files []File
	opts  Options
	// want maps a target name to its JSON (see testTarget); groups are
	// prefixed "group:".
	want map[string]string
	// err is the expected text of the first error, as hcl.Diagnostic.Error()
	// prints it: "file:line,col-col: Summary; Detail" (a prefix suffices).
	err string
	// errs are the further expected error texts; with errs set, the
	// diagnostics must hold exactly 1+len(errs) errors.
	errs  []string
	check func(t *testing.T, c *testConfig, m *Meta)
}

func hclFile(src string) []File { return []File{{Name: "docker-bake.hcl", Data: []byte(src)}} }

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c testConfig
			m, diags := Parse(tc.files, tc.opts, &c)
			if tc.err != "" {
				if !diags.HasErrors() {
					t.Fatalf("no error, want %q", tc.err)
				}
				if got := diags[0].Error(); !strings.HasPrefix(got, tc.err) {
					t.Fatalf("first error:\n got %q\nwant %q", got, tc.err)
				}
				if len(tc.errs) > 0 && len(diags.Errs()) != 1+len(tc.errs) {
					t.Errorf("got %d errors, want %d: %v", len(diags.Errs()), 1+len(tc.errs), diags)
				}
				for _, e := range tc.errs {
					found := false
					for _, d := range diags {
						found = found || strings.HasPrefix(d.Error(), e)
					}
					if !found {
						t.Errorf("missing error %q in %v", e, diags)
					}
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("unexpected error: %v", diags)
			}
			for name, want := range tc.want {
				var got any
				if g, ok := strings.CutPrefix(name, "group:"); ok {
					got = findGroup(c.Groups, g)
				} else {
					got = findTarget(c.Targets, name)
				}
				b, err := json.Marshal(got)
				if err != nil {
					t.Fatal(err)
				}
				if !jsonEqual(t, string(b), want) {
					t.Errorf("%s:\n got %s\nwant %s", name, b, want)
				}
			}
			if tc.check != nil {
				tc.check(t, &c, m)
			}
		})
	}
}

func findTarget(ts []*testTarget, name string) *testTarget {
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func findGroup(gs []*testGroup, name string) *testGroup {
	for _, g := range gs {
		if g.Name == name {
			return g
		}
	}
	return nil
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("bad JSON %q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
