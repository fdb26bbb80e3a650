package bake

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseOverridesErrors(t *testing.T) {
	c := Config{Targets: []*Target{{Name: "app"}, {Name: "app-dev"}}}
	tests := []struct {
		set  string
		want string // error substring; "" means accepted
	}{
		{"app.tags=x", ""},
		{"app*.args.A=1", ""},
		{"app.args.FROMENV", ""},
		{"app", "invalid override key app, expected target.name"},
		{"app.tags", "invalid override app.tags, expected target.name=value"},
		{"app.tags.x=1", "invalid key app.tags.x, tag does not support subkeys"},
		{"app.args=1", "invalid key app.args, arg requires name"},
		{"app.labels=1", "invalid key app.labels, label requires name"},
		{"app.secrets.id=x", "invalid key app.secrets.id, secret does not support subkeys"},
		{"app.secret.id+=x", "invalid key app.secret.id+, secret does not support append"},
		{"app.resources=1", "invalid key app.resources, resource requires name"},
		{"app.resources.memory+=1g", "invalid key app.resources.memory+, resource does not support append"},
		{"app.context.x=1", "invalid key app.context.x, context does not support subkeys"},
		{"nope.tags=1", "could not find any target matching 'nope'"},
		{"[.tags=1", "could not match targets with '['"},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			_, err := c.ParseOverrides([]string{tt.set}, func(string) (string, bool) { return "v", true })
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseOverridesListSemantics(t *testing.T) {
	c := Config{Targets: []*Target{{Name: "a"}}}
	o, err := c.ParseOverrides([]string{"a.tags=x", "a.tags+=y", "a.output=", "a.args.E"}, func(k string) (string, bool) {
		if k == "E" {
			return "from-env", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	tags := o["a"]["tag"]
	if strings.Join(tags.ArrValue, ",") != "x,y" || !tags.Append {
		t.Errorf("tags override = %+v, want x,y appended", tags)
	}
	if out := o["a"]["output"]; !out.Clear || out.ArrValue != nil {
		t.Errorf("output override = %+v, want cleared", out)
	}
	if arg := o["a"]["arg.E"]; arg.Value != "from-env" {
		t.Errorf("arg.E = %q, want the environment value", arg.Value)
	}
}

func TestAddOverridesUnknownKey(t *testing.T) {
	tgt := &Target{}
	err := tgt.AddOverrides(map[string]Override{"bogus": {Value: "1"}})
	if err == nil || err.Error() != "unknown key: bogus" {
		t.Fatalf("error = %v, want unknown key: bogus", err)
	}
}

// A secret that does not parse says "secret" (buildx says "outputs").
func TestAddOverridesSecretMessage(t *testing.T) {
	tgt := &Target{}
	err := tgt.AddOverrides(map[string]Override{"secret": {ArrValue: []string{"typ=foo"}}})
	if want := "invalid value for secret: unexpected key 'typ' in 'typ=foo'"; err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

// Every key's plural spelling is an alias of it, whichever spelling the
// override map carries.
func TestAddOverridesAliases(t *testing.T) {
	for key, spec := range overrideKeys {
		if spec.alias == "" || spec.shape != listKey {
			continue
		}
		a, b := &Target{}, &Target{}
		o := Override{ArrValue: []string{"type=registry,ref=x"}}
		if key == "platform" || key == "tag" || key == "ulimit" || key == "no-cache-filter" || key == "entitlement" || key == "annotation" {
			o = Override{ArrValue: []string{"v"}}
		}
		errA, errB := a.AddOverrides(map[string]Override{key: o}), b.AddOverrides(map[string]Override{spec.alias: o})
		if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
			t.Errorf("%s and %s differ: %+v (%v) vs %+v (%v)", key, spec.alias, a, errA, b, errB)
		}
	}
}

// An append to one target's list never reaches another target that shares
// the list through inherits (buildx v0.38.2 adds z to a and c here).
func TestSetAppendDoesNotLeakThroughInherits(t *testing.T) {
	src := `target "a" {
  tags = ["x", "x", "y"]
}
target "b" {
  inherits = ["a"]
}
target "c" {
  inherits = ["a"]
}
`
	c, _, err := ParseFiles([]File{{Name: "docker-bake.hcl", Data: []byte(src)}}, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.ResolvePlan([]string{"b", "c", "a"}, []string{"b.tags+=z", "c.annotations+=k=v"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"a": {"x", "y"}, "b": {"x", "y", "z"}, "c": {"x", "y"}}
	for name, tags := range want {
		if got := p.Targets[name].Tags; !reflect.DeepEqual(got, tags) {
			t.Errorf("%s tags = %v, want %v", name, got, tags)
		}
	}
}
