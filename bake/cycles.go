package bake

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/kiln-build/kiln/hclspec"
)

// InheritsCycle is a cycle in `inherits` met while resolving Target. buildx
// does not reject it: the parent already being resolved is skipped, and so
// does kiln, but it says so.
type InheritsCycle struct {
	// Target is the target being resolved.
	Target string
	// Chain runs from Target through inherits to a target already in it.
	Chain []string
	// Range is the inherits value of the last target of the chain but one,
	// the one that was skipped; nil when unknown (compose, or a computed name).
	Range *hcl.Range
}

func (c InheritsCycle) String() string {
	msg := fmt.Sprintf("target %q: inherits cycle %s ignored, as docker buildx bake does", c.Target, strings.Join(c.Chain, " -> "))
	if c.Range == nil {
		return msg
	}
	return hclspec.Located(*c.Range, msg)
}

// InheritsCycles lists the inherits cycles met when resolving each target of
// c, in order (what `--list` warns about).
func (c Config) InheritsCycles() []InheritsCycle {
	r := c.resolver()
	var out []InheritsCycle
	for _, t := range c.Targets {
		out = append(out, r.inheritsCycles(t.Name)...)
	}
	return out
}

// inheritsCycles walks the inherits of name as inherit does and returns the
// cycles it cuts.
func (r *resolver) inheritsCycles(name string) []InheritsCycle {
	if t := r.target(name); t == nil || len(t.Inherits) == 0 {
		return nil
	}
	var (
		out   []InheritsCycle
		stack []string
		done  = map[string]bool{}
		walk  func(string)
	)
	walk = func(n string) {
		if doneNow, seen := done[n]; seen {
			if !doneNow {
				chain := append(append([]string{}, stack...), n)
				out = append(out, InheritsCycle{Target: name, Chain: chain, Range: r.inheritsRange(stack[len(stack)-1])})
			}
			return
		}
		done[n] = false
		t := r.target(n)
		if t == nil {
			return // inherit reports the missing target
		}
		stack = append(stack, n)
		for _, parent := range t.Inherits {
			walk(parent)
		}
		stack = stack[:len(stack)-1]
		done[n] = true
	}
	walk(name)
	return out
}

// inheritsRange is the range of target name's inherits value (a block of that
// label, or one a matrix expanded into name).
func (r *resolver) inheritsRange(name string) *hcl.Range {
	_, rng := r.c.attrRange("target", name, "inherits")
	return rng
}
