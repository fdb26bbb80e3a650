package hclspec

import (
	"fmt"
	"reflect"

	"github.com/hashicorp/hcl/v2"
	"github.com/kiln-build/kiln/matrix"
	"github.com/zclconf/go-cty/cty"
)

// instance is one evaluated copy of a block: the block itself, or one
// combination of its matrix. Attributes are evaluated on demand, once.
type instance struct {
	block  *hcl.Block
	attrs  hcl.Attributes // the block's attributes (with matrix and name, never read as fields)
	fields []*attrField   // the struct fields the block sets, in field order (shared by a matrix)
	ectx   *hcl.EvalContext
	name   string
	out    reflect.Value // *T

	done     []bool // by attrField.pos
	complete bool
	cached   cty.Value // object value for references; NilVal when stale
}

// expandBlock evaluates a block's matrix and names into its instances, as
// buildx does before any block body is evaluated.
func (p *parser) expandBlock(bt *blockType, block *hcl.Block) ([]*instance, hcl.Diagnostics) {
	labelRange := block.LabelRanges[0].Ptr()
	invalidName := func(err error) hcl.Diagnostics {
		return wrapDiag("Invalid name", err, labelRange, labelRange)
	}
	content, _, diags := block.Body.PartialContent(bt.withMeta)
	if diags.HasErrors() {
		return nil, diags
	}
	mattr, hasMatrix := content.Attributes["matrix"]
	nattr, hasName := content.Attributes["name"]
	if bt.noMtx && hasMatrix {
		return nil, invalidName(fmt.Errorf("matrix is not supported for %ss", bt.name))
	}

	combos := []matrix.Combination{nil}
	if hasMatrix {
		ectx, diags := p.prepare(mattr.Expr, p.base, nil, true)
		if diags.HasErrors() {
			return nil, invalidName(diags)
		}
		v, diags := mattr.Expr.Value(ectx)
		if diags.HasErrors() {
			return nil, invalidName(diags)
		}
		cs, err := matrix.Expand(v)
		if err != nil {
			return nil, invalidName(err)
		}
		combos = cs
	}

	if err := p.validateLabel(block.Labels[0]); err != nil && len(combos) > 0 {
		return nil, invalidName(err)
	}
	var fields []*attrField
	for _, f := range bt.attrs {
		if _, ok := content.Attributes[f.name]; ok {
			fields = append(fields, f)
		}
	}
	insts := make([]*instance, 0, len(combos))
	names := make([]string, 0, len(combos))
	for _, c := range combos {
		in := &instance{
			block: block, attrs: content.Attributes, fields: fields,
			ectx: p.base, name: block.Labels[0], done: make([]bool, len(bt.attrs)),
		}
		if c != nil {
			in.ectx = c.EvalContext(p.base)
		}
		switch {
		case hasName && bt.noMtx:
			return nil, invalidName(fmt.Errorf("name is not supported for %ss", bt.name))
		case hasName && !hasMatrix:
			return nil, invalidName(matrix.ErrNameNeeded)
		case hasName:
			ectx, diags := p.prepare(nattr.Expr, in.ectx, nil, true)
			if diags.HasErrors() {
				return nil, invalidName(diags)
			}
			name, err := matrix.Name(nattr.Expr, ectx)
			if err != nil {
				return nil, invalidName(err)
			}
			if err := p.validateLabel(name); err != nil {
				return nil, invalidName(err)
			}
			in.name = name
		}
		in.out = reflect.New(bt.goType)
		in.out.Elem().Field(bt.label).SetString(in.name)
		insts = append(insts, in)
		names = append(names, in.name)
	}
	if err := matrix.CheckUnique(names); err != nil {
		return nil, invalidName(err)
	}
	return insts, nil
}

func (p *parser) validateLabel(name string) error {
	if p.opts.ValidateLabel == nil {
		return nil
	}
	return p.opts.ValidateLabel(name)
}

// resolveInstance evaluates one attribute of an instance, or all of them
// when attr is "".
func (p *parser) resolveInstance(in *instance, attr string) error {
	bt := p.blockTypes[in.block.Type]
	if attr != "" {
		f, ok := bt.byName[attr]
		if !ok || in.done[f.pos] {
			return nil
		}
		if _, ok := in.attrs[attr]; !ok {
			return nil
		}
		return p.evalAttr(in, f, true)
	}
	if in.complete {
		return nil
	}
	key := node{kind: in.block.Type, in: in}
	if p.inProgress[key] {
		return p.cycleError(key, fmt.Sprintf("reference cycle not allowed for %s", key))
	}
	p.enter(key)
	defer p.leave(key)
	var diags hcl.Diagnostics
	for _, f := range in.fields {
		if in.done[f.pos] {
			continue
		}
		if err := p.evalAttr(in, f, false); err != nil {
			r := in.attrs[f.name].Range.Ptr()
			diags = append(diags, wrapDiag("Invalid attribute", err, r, r)...)
		}
	}
	for _, f := range bt.attrs {
		if f.required {
			if _, ok := in.attrs[f.name]; !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Missing required argument",
					Detail:   fmt.Sprintf("The argument %q is required, but no definition was found.", f.name),
					Subject:  in.block.Body.MissingItemRange().Ptr(),
				})
			}
		}
	}
	in.complete = true
	if diags.HasErrors() {
		return diags
	}
	return nil
}

// evalAttr evaluates one attribute into the instance's struct. Like buildx,
// only an attribute evaluated because something refers to it (mark) is
// "in progress", so a cycle is reported where buildx reports it.
func (p *parser) evalAttr(in *instance, f *attrField, mark bool) error {
	name := f.name
	if mark {
		key := node{kind: in.block.Type, in: in, attr: name}
		if p.inProgress[key] {
			return p.cycleError(key, fmt.Sprintf("reference cycle not allowed for %s", key))
		}
		p.enter(key)
		defer p.leave(key)
	}
	attr := in.attrs[name]
	ectx, diags := p.prepare(attr.Expr, in.ectx, nil, true)
	if diags.HasErrors() {
		return diags
	}
	if in.done[f.pos] {
		return nil // evaluated meanwhile through a self reference
	}
	v, diags := attr.Expr.Value(ectx)
	if !diags.HasErrors() {
		diags = append(diags, f.decodeValue(in.out.Elem(), v, attr.Expr)...)
	}
	in.done[f.pos] = true
	in.cached = cty.NilVal
	if diags.HasErrors() {
		return diags
	}
	return nil
}

// value is the instance as an object, with the attributes evaluated so far.
func (in *instance) value(bt *blockType) cty.Value {
	if in.cached != cty.NilVal {
		return in.cached
	}
	sv := in.out.Elem()
	m := make(map[string]cty.Value, len(bt.attrs)+1)
	m[labelCtyName(bt)] = cty.StringVal(in.name)
	for _, f := range bt.attrs {
		m[f.ctyName] = f.encodeValue(sv)
	}
	in.cached = cty.ObjectVal(m)
	return in.cached
}

func labelCtyName(bt *blockType) string {
	f := bt.goType.Field(bt.label)
	if c, ok := f.Tag.Lookup("cty"); ok && c != "" {
		return c
	}
	return "name"
}
