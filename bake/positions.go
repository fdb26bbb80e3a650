package bake

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Errors found after evaluation (an unknown target in inherits, a group or a
// target: context) point at the user's text through the declarations hclspec
// recorded for each block instance (Config.decls); compose files and computed
// values have none, and their errors carry no position.

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

// elemRange narrows attribute attr of block typ name to the element of its
// list whose literal value is elem; the whole value's range when the list
// is computed; nil when no declaration sets attr.
func (c Config) elemRange(typ, name, attr, elem string) *hcl.Range {
	a, r := c.attrRange(typ, name, attr)
	if a == nil {
		return nil
	}
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() {
		return r
	}
	for _, e := range exprs {
		if v, diags := e.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() && v.AsString() == elem {
			er := e.Range()
			return &er
		}
	}
	return r
}

// keyRange narrows map attribute attr of block typ name to the value of key.
func (c Config) keyRange(typ, name, attr, key string) *hcl.Range {
	a, r := c.attrRange(typ, name, attr)
	if a == nil {
		return nil
	}
	pairs, diags := hcl.ExprMap(a.Expr)
	if diags.HasErrors() {
		return r
	}
	for _, p := range pairs {
		if k, diags := p.Key.Value(nil); !diags.HasErrors() && k.Type() == cty.String && k.IsKnown() && !k.IsNull() && k.AsString() == key {
			vr := p.Value.Range()
			return &vr
		}
	}
	return r
}

// PositionError is an error about a bake file that knows where in it the
// user wrote what it is about.
type PositionError struct {
	Range hcl.Range
	Err   error
}

func (e *PositionError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %v", e.Range.Filename, e.Range.Start.Line, e.Range.Start.Column, e.Err)
}

func (e *PositionError) Unwrap() error { return e.Err }

// at places err at r, or returns it as is when r is nil.
func at(r *hcl.Range, err error) error {
	if r == nil {
		return err
	}
	return &PositionError{Range: *r, Err: err}
}
