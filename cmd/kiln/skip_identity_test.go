package main

import (
	"testing"

	"github.com/kiln-build/kiln/builder/pool"
)

// TestPoolIdentity checks what the up-to-date fingerprint names for a
// pool: the same pool (in any order, under any node names) is the same
// identity; another node, another platform list or another shared cache is
// another; and a pool is never the identity of one of its nodes alone.
func TestPoolIdentity(t *testing.T) {
	a := pool.Node{Name: "a", Address: "tcp://10.0.0.1:1234", Platforms: []string{"linux/amd64"}}
	b := pool.Node{Name: "b", Address: "unix:///run/b.sock"}
	c := pool.Node{Name: "c", Address: "tcp://10.0.0.3:1234"}
	base := &pool.Pool{Nodes: []pool.Node{a, b}, CacheRegistry: "reg:5000/cache"}
	id := poolIdentity(base)

	same := []*pool.Pool{
		{Nodes: []pool.Node{b, a}, CacheRegistry: "reg:5000/cache"},
		{Nodes: []pool.Node{{Name: "renamed", Address: a.Address, Platforms: []string{"linux/amd64"}, MaxSolves: 3}, b}, CacheRegistry: "reg:5000/cache"},
		{Nodes: []pool.Node{{Name: "a", Address: a.Address, Platforms: []string{"Linux/AMD64"}}, b}, CacheRegistry: "reg:5000/cache"},
	}
	for i, p := range same {
		if got := poolIdentity(p); got != id {
			t.Errorf("same pool #%d: identity %q, want %q", i, got, id)
		}
	}
	different := map[string]*pool.Pool{
		"a node added":       {Nodes: []pool.Node{a, b, c}, CacheRegistry: "reg:5000/cache"},
		"a node removed":     {Nodes: []pool.Node{a}, CacheRegistry: "reg:5000/cache"},
		"a node replaced":    {Nodes: []pool.Node{a, c}, CacheRegistry: "reg:5000/cache"},
		"platforms declared": {Nodes: []pool.Node{a, {Name: "b", Address: b.Address, Platforms: []string{"linux/arm64"}}}, CacheRegistry: "reg:5000/cache"},
		"another registry":   {Nodes: []pool.Node{a, b}, CacheRegistry: "reg:5000/other"},
		"no registry":        {Nodes: []pool.Node{a, b}},
		"a cache dir":        {Nodes: []pool.Node{a, b}, CacheRegistry: "reg:5000/cache", CacheDir: "/srv/cache"},
	}
	seen := map[string]string{id: "the base pool"}
	for what, p := range different {
		got := poolIdentity(p)
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: identity %q is that of %s", what, got, prev)
		}
		seen[got] = what
	}
	// one node alone (no pool) is named as before pools existed
	o := &bakeOptions{builder: a.Address}
	if got := runIdentity(o, nil); got != a.Address {
		t.Errorf("one node: identity %q, want %q", got, a.Address)
	}
	if got := runIdentity(o, &pool.Pool{Nodes: []pool.Node{a}}); got == a.Address {
		t.Errorf("a pool of one declared node has the identity of the bare address %q", got)
	}
}
