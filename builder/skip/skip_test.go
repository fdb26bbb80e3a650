package skip

import (
	"encoding/json"
	"testing"
)

func baseFacts() Facts {
	return Facts{
		Definition: json.RawMessage(`{"context":".","args":{"A":"1"}}`),
		Solve:      json.RawMessage(`{"attrs":{"build-arg:A":"1"}}`),
		Content:    "c1",
		Deps:       map[string]string{"base": "d1"},
		Remote:     map[string]string{"image:docker.io/library/alpine:3": "sha256:aa"},
		Versions:   map[string]string{"kiln": "v1", "buildkit": "v0.34.2"},
		Node:       "embedded:/var/lib/kiln",
		Env:        map[string]string{"SOURCE_DATE_EPOCH": "0"},
	}
}

// Every fact is in the fingerprint; equal facts give equal fingerprints,
// however their maps were filled.
func TestFingerprintSensitivity(t *testing.T) {
	base := baseFacts()
	fp := base.Fingerprint()
	if len(fp) != 64 {
		t.Fatalf("fingerprint %q is not a sha256", fp)
	}
	again := baseFacts()
	again.Remote = map[string]string{}
	again.Remote["image:docker.io/library/alpine:3"] = "sha256:aa"
	if again.Fingerprint() != fp {
		t.Error("equal facts, different fingerprints")
	}
	mutations := map[string]func(*Facts){
		"definition":     func(f *Facts) { f.Definition = json.RawMessage(`{"context":".","args":{"A":"2"}}`) },
		"solve":          func(f *Facts) { f.Solve = json.RawMessage(`{"attrs":{"build-arg:A":"2"}}`) },
		"content":        func(f *Facts) { f.Content = "c2" },
		"dependency":     func(f *Facts) { f.Deps["base"] = "d2" },
		"new dependency": func(f *Facts) { f.Deps["lib"] = "d1" },
		"remote digest":  func(f *Facts) { f.Remote["image:docker.io/library/alpine:3"] = "sha256:bb" },
		"kiln version":   func(f *Facts) { f.Versions["kiln"] = "v2" },
		"node":           func(f *Facts) { f.Node = "unix:///run/buildkit/buildkitd.sock" },
		"env":            func(f *Facts) { f.Env["SOURCE_DATE_EPOCH"] = "1" },
		"env removed":    func(f *Facts) { delete(f.Env, "SOURCE_DATE_EPOCH") },
	}
	seen := map[string]string{fp: "base"}
	for name, mut := range mutations {
		f := baseFacts()
		mut(&f)
		got := f.Fingerprint()
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: fingerprint equals %s's", name, prev)
		}
		seen[got] = name
	}
	bad := baseFacts()
	bad.Definition = json.RawMessage(`{not json`)
	if bad.Fingerprint() != "" {
		t.Error("facts that do not marshal have a fingerprint")
	}
}
