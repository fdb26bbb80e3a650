package bake

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/kiln-build/kiln/hclspec"
	"github.com/zclconf/go-cty/cty"
)

// Errors found after evaluation (an unknown target in inherits, a group or a
// target: context, a value a build could not use, a bad --set) point at the
// user's text through the declarations hclspec recorded for each block
// instance (Config.decls); compose files and computed values have none, and
// their errors carry no position.

// attrRange is the range of attribute attr in the last declaration of block
// typ name that sets it; nil when there is none.
func (c Config) attrRange(typ, name, attr string) (*hcl.Attribute, *hcl.Range) {
	decls := c.decls[typ][name]
	for i := len(decls) - 1; i >= 0; i-- {
		if a, ok := decls[i].Attrs[attr]; ok {
			r := a.Expr.Range()
			return a, &r
		}
	}
	return nil, nil
}

// ownRange is where target name sets attr, else its block header; nil for
// a target no bake file declares.
func (c Config) ownRange(name, attr string) *hcl.Range {
	if _, r := c.attrRange("target", name, attr); r != nil {
		return r
	}
	decls := c.decls["target"][name]
	if len(decls) == 0 {
		return nil
	}
	r := decls[len(decls)-1].DefRange
	return &r
}

// elemRange narrows attribute attr of block typ name to the element of its
// list whose literal value is elem; the whole value's range when the list
// is computed; nil when no declaration sets attr.
func (c Config) elemRange(typ, name, attr, elem string) *hcl.Range {
	a, r := c.attrRange(typ, name, attr)
	if a == nil {
		return nil
	}
	if er := elemNarrow(func(lit string) bool { return lit == elem })(a); er != nil {
		return er
	}
	return r
}

// A narrow finds, in an attribute's value, the part an error is about; nil
// when it is not there (or the value is computed).
type narrow func(*hcl.Attribute) *hcl.Range

// elemNarrow finds the element of a list whose literal text match accepts.
func elemNarrow(match func(lit string) bool) narrow {
	return func(a *hcl.Attribute) *hcl.Range {
		exprs, diags := hcl.ExprList(a.Expr)
		if diags.HasErrors() {
			return nil
		}
		for _, e := range exprs {
			if s, ok := literal(e); ok && match(s) {
				r := e.Range()
				return &r
			}
		}
		return nil
	}
}

// keyNarrow finds the value of key in a map.
func keyNarrow(key string) narrow {
	return func(a *hcl.Attribute) *hcl.Range {
		pairs, diags := hcl.ExprMap(a.Expr)
		if diags.HasErrors() {
			return nil
		}
		for _, p := range pairs {
			if k, ok := literal(p.Key); ok && k == key {
				r := p.Value.Range()
				return &r
			}
		}
		return nil
	}
}

func literal(e hcl.Expression) (string, bool) {
	v, diags := e.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return "", false
	}
	return v.AsString(), true
}

// origin is where a resolved target's value of one attribute came from.
type origin struct {
	rng *hcl.Range
	// set is the target and override key (e.g. "base.shm-size") when a
	// --set value or a flag set it; rng is then where that target declares
	// the attribute.
	set string
}

// valueOrigin finds where target name's value of attr was written, in the
// order resolving gives them precedence: an override of the target, its
// own declaration, then its parents, the last first. With n, the place that
// holds the faulty part of a list or map wins; mapKey, if any, is the map
// entry at fault. It ends at the target's block header.
func (r *resolver) valueOrigin(name, attr, mapKey string, o Overrides, n narrow) origin {
	var first *origin
	visited := map[string]bool{}
	var walk func(string) *origin
	walk = func(tn string) *origin {
		if visited[tn] {
			return nil
		}
		visited[tn] = true
		if key, replaced := overrideOf(o[tn], attr, mapKey); key != "" {
			if first == nil {
				first = &origin{rng: r.c.ownRange(tn, attr), set: tn + "." + key}
			}
			if replaced { // what the files say is gone
				return nil
			}
		}
		if a, rng := r.c.attrRange("target", tn, attr); a != nil {
			if n != nil {
				if nr := n(a); nr != nil {
					return &origin{rng: nr}
				}
			}
			if first == nil {
				first = &origin{rng: rng}
			}
		}
		if t := r.target(tn); t != nil {
			for _, p := range slices.Backward(t.Inherits) {
				if found := walk(p); found != nil {
					return found
				}
			}
		}
		return nil
	}
	if found := walk(name); found != nil {
		return *found
	}
	if first != nil {
		return *first
	}
	return origin{rng: r.c.ownRange(name, attr)}
}

// overrideOf is the key of the override among ov that sets attr (its entry
// mapKey, for a map), and whether it replaces the value rather than
// appending to it.
func overrideOf(ov map[string]Override, attr, mapKey string) (string, bool) {
	for _, k := range overrideOrder(ov) {
		if keyAttr(k) != attr {
			continue
		}
		if _, sub, ok := strings.Cut(k, "."); ok && mapKey != "" && sub != mapKey {
			continue
		}
		return k, !ov[k].Append
	}
	return "", false
}

// specErrorAt places err, found checking resolved target name, where the
// value at fault was written, and names the target.
func (r *resolver) specErrorAt(name string, o Overrides, err error) error {
	var se *specError
	if !errors.As(err, &se) {
		return fmt.Errorf("target %s: %w", name, err)
	}
	var n narrow
	switch {
	case se.elem != nil:
		n = elemNarrow(se.elem)
	case se.key != "":
		n = keyNarrow(se.key)
	}
	org := r.valueOrigin(name, se.attr, se.key, o, n)
	return at(org.rng, fmt.Errorf("target %s: %w", name, org.explain(err)))
}

// explain says that err is about a value given on the command line.
func (o origin) explain(err error) error {
	if o.set == "" {
		return err
	}
	return fmt.Errorf("%s set on the command line: %w", o.set, err)
}

// overrideError is an override a target could not take, with its key.
type overrideError struct {
	key string
	err error
}

func (e *overrideError) Error() string { return e.err.Error() }
func (e *overrideError) Unwrap() error { return e.err }

// overrideErrorAt places err, from applying the overrides of target name,
// where the target declares the attribute the override sets (else at its
// header).
func (c Config) overrideErrorAt(name string, err error) error {
	var oe *overrideError
	if !errors.As(err, &oe) {
		return fmt.Errorf("target %s: %w", name, err)
	}
	org := origin{rng: c.ownRange(name, keyAttr(oe.key)), set: name + "." + oe.key}
	return at(org.rng, fmt.Errorf("target %s: %w", name, org.explain(oe.err)))
}

// setErrorAt places err, about a --set value for key on the targets pattern
// names, at the target when the pattern names exactly one.
func (c Config) setErrorAt(pattern, key string, err error) error {
	if c.target(pattern) == nil {
		return err
	}
	return at(c.ownRange(pattern, keyAttr(key)), fmt.Errorf("target %s: %w", pattern, err))
}

// PositionError is an error about a bake file that knows where in it the
// user wrote what it is about.
type PositionError struct {
	Range hcl.Range
	Err   error
}

func (e *PositionError) Error() string { return hclspec.Located(e.Range, e.Err.Error()) }

func (e *PositionError) Unwrap() error { return e.Err }

// at places err at r, or returns it as is when r is nil.
func at(r *hcl.Range, err error) error {
	if r == nil {
		return err
	}
	return &PositionError{Range: *r, Err: err}
}
