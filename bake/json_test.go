package bake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// Plan.MarshalIndent must print byte for byte what json.MarshalIndent does.
func TestPlanMarshalIndentIsJSONMarshalIndent(t *testing.T) {
	resolved, err := testConfig().ResolvePlan([]string{"all"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	many := &Plan{Targets: map[string]*Target{}}
	for i := range 1000 {
		name := fmt.Sprintf("t%d", i)
		many.Targets[name] = &Target{Name: name, Tags: []string{name}, Args: map[string]*string{"I": strp(fmt.Sprint(i)), "X": strp("${a} <b> & %{c}")}}
	}
	many.Groups = map[string]*Group{"default": {Name: "default", Targets: []string{"t1", "t2"}}, "<&>": {Name: "<&>", Description: "é\u2028"}}
	for name, p := range map[string]*Plan{
		"resolved":           resolved,
		"many":               many,
		"no targets":         {Targets: map[string]*Target{}},
		"nil targets":        {},
		"groups only":        {Groups: map[string]*Group{"g": {Name: "g"}}, Targets: map[string]*Target{}},
		"nil target":         {Targets: map[string]*Target{"a": nil}},
		"key to escape":      {Targets: map[string]*Target{"a<b>&\"c": {DockerfileInline: strp("FROM x\nRUN echo ${y}\t<z>")}}},
		"one target, groups": {Groups: map[string]*Group{"default": {Targets: []string{"a"}}}, Targets: map[string]*Target{"a": {Context: strp(".")}}},
	} {
		want, werr := json.MarshalIndent(p, "", "  ")
		got, gerr := p.MarshalIndent()
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%s: error %v, json.MarshalIndent's %v", name, gerr, werr)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
		}
	}
}
