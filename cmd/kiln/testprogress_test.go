package main

// Reading BuildKit progress output: which steps ran and which were cached.

import (
	"regexp"
	"strings"
	"testing"
)

// vertex is one step in BuildKit's plain progress output.
type vertex struct {
	id     string
	name   string
	cached bool
	done   bool
	failed bool
}

var plainLine = regexp.MustCompile(`^#(\d+) (.*)$`)

// parseProgress reads --progress=plain output: "#N name" opens step N, and
// "#N CACHED", "#N DONE ..." and "#N ERROR ..." close it.
func parseProgress(out string) []*vertex {
	byID := map[string]*vertex{}
	var order []*vertex
	for _, l := range strings.Split(out, "\n") {
		m := plainLine.FindStringSubmatch(strings.TrimRight(l, "\r"))
		if m == nil {
			continue
		}
		v := byID[m[1]]
		if v == nil {
			v = &vertex{id: m[1], name: m[2]}
			byID[m[1]] = v
			order = append(order, v)
			continue
		}
		switch {
		case m[2] == "CACHED":
			v.cached = true
		case strings.HasPrefix(m[2], "DONE"):
			v.done = true
		case strings.HasPrefix(m[2], "ERROR"):
			v.failed = true
		}
	}
	return order
}

// steps returns the steps whose name contains s.
func steps(out, s string) []*vertex {
	var vs []*vertex
	for _, v := range parseProgress(out) {
		if strings.Contains(v.name, s) {
			vs = append(vs, v)
		}
	}
	return vs
}

// mustCached checks that every step whose name contains s was a cache hit, and
// that there is at least one.
func mustCached(t *testing.T, r *kilnRun, s string) {
	t.Helper()
	vs := steps(r.out, s)
	if len(vs) == 0 {
		t.Errorf("no step named like %q in the progress output:\n%s", s, tail(r.out, 80))
		return
	}
	for _, v := range vs {
		if !v.cached {
			t.Errorf("step #%s %q ran; expected a cache hit\n%s", v.id, v.name, tail(r.out, 80))
		}
	}
}

// mustRan checks that at least one step whose name contains s ran (no cache hit).
func mustRan(t *testing.T, r *kilnRun, s string) {
	t.Helper()
	vs := steps(r.out, s)
	if len(vs) == 0 {
		t.Errorf("no step named like %q in the progress output:\n%s", s, tail(r.out, 80))
		return
	}
	for _, v := range vs {
		if !v.cached {
			return
		}
	}
	t.Errorf("every step named like %q was a cache hit; expected it to run\n%s", s, tail(r.out, 80))
}

// --- OCI images -------------------------------------------------------------
