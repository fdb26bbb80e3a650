// Package hclspec evaluates bake files written in HCL or HCL-JSON: variables,
// globals, user functions, the stdlib, `target.X.Y` references and matrices,
// into the caller's block structs. It knows nothing of Docker or BuildKit.
//
// Evaluation follows buildx v0.38.2 (bake/hclparser) phase by phase, but
// every value is computed once and memoized, and a reference to a block sees
// only that block, so the cost is linear in the size of the files.
package hclspec

import (
	"reflect"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// File is one bake file as read from disk (or stdin). Name decides the syntax:
// a name ending in .json is HCL-JSON; anything else is tried as HCL native syntax.
type File struct {
	Name string
	Data []byte
	// Parsed, when not nil, is Data already parsed with the syntax Name
	// implies (the caller sniffed it); Parse uses it instead of parsing again.
	Parsed *hcl.File
}

// Options are the inputs to evaluation besides the files.
type Options struct {
	// Defaults are reserved variables the caller predefines (buildx sets
	// BAKE_CMD_CONTEXT and BAKE_LOCAL_PLATFORM); a file may not redeclare them.
	Defaults map[string]string
	// Vars are `--var name=value` values; they take precedence over the environment.
	Vars map[string]string
	// LookupEnv reads the environment for variable values; nil reads none.
	LookupEnv func(string) (string, bool)
	// ValidateLabel checks a block's (evaluated) name.
	ValidateLabel func(string) error
	// NoMatrix lists block types on which `matrix` and `name` are rejected.
	// nil means {"group"}, as in buildx; use an empty non-nil slice to allow
	// matrices everywhere.
	NoMatrix []string
}

// Variable is one declared variable as `--list variables` shows it.
type Variable struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Type        string  `json:"type,omitempty"`
	Value       *string `json:"value,omitempty"`
}

// Meta is what evaluation learned besides the decoded blocks.
type Meta struct {
	// Renamed maps block type → original name → names a matrix expanded it into.
	Renamed map[string]map[string][]string
	// Variables are all declared variables, in declaration order.
	Variables []*Variable
	// Decls maps block type → name (after matrix expansion) → where each
	// instance of that name was declared, in file order: for errors about a
	// block found after evaluation (an unknown target in inherits, say).
	Decls map[string]map[string][]Decl
}

// Decl is where one block instance was declared: its header and the
// attributes its body sets (with their expressions' ranges).
type Decl struct {
	DefRange hcl.Range
	Attrs    hcl.Attributes
}

var inputsSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "function", LabelNames: []string{"name"}},
	},
}

// Parse evaluates files into val, a pointer to a struct whose fields tagged
// `hcl:"TYPE,block"` are slices of pointers to block structs (see bake.Config).
// Diagnostics carry the source ranges of the user's text.
func Parse(files []File, opts Options, val any) (*Meta, hcl.Diagnostics) {
	types, typeOrder, err := configBlockTypes(val)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid target value", Detail: err.Error()}}
	}
	noMatrix := opts.NoMatrix
	if noMatrix == nil {
		noMatrix = []string{"group"}
	}
	for _, t := range noMatrix {
		if bt, ok := types[t]; ok {
			bt.noMtx = true
		}
	}
	hfiles, diags := loadFiles(files)
	if diags.HasErrors() {
		return nil, diags
	}

	p := newParser(opts, files)
	blocks, diags := p.decode(mergeFiles(hfiles), typeOrder)
	if diags.HasErrors() {
		return nil, diags
	}
	meta := &Meta{Renamed: map[string]map[string][]string{}}
	if meta.Variables, diags = p.resolveInputs(); diags.HasErrors() {
		return nil, diags
	}
	p.blockTypes = types
	insts, diags := p.expandBlocks(blocks, typeOrder, meta)
	if diags.HasErrors() {
		return nil, diags
	}
	if diags := p.evalBlocks(blocks, insts, reflect.ValueOf(val).Elem()); diags.HasErrors() {
		return nil, diags
	}
	// Globals nothing referred to are evaluated last; their errors count too.
	for _, name := range sortedKeys(p.globals) {
		if err := p.resolveValue(name, p.base); err != nil {
			r := p.globals[name].Range
			return nil, wrapDiag("Invalid attribute", err, &r, &r)
		}
	}
	return meta, nil
}

func newParser(opts Options, files []File) *parser {
	p := &parser{
		opts:        opts,
		src:         map[string][]byte{},
		base:        &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: Stdlib()},
		vars:        map[string]*variable{},
		globals:     map[string]*hcl.Attribute{},
		funcs:       map[string]*userFunction{},
		blocks:      map[string]map[string][]*instance{},
		seenTypes:   map[string]bool{},
		valuedTypes: map[string]bool{},
		traversals:  map[hcl.Expression][]hcl.Traversal{},
		inProgress:  map[node]bool{},
		failed:      map[node]bool{},
	}
	for _, f := range files {
		p.src[f.Name] = f.Data
	}
	return p
}

// decode reads the variable and function blocks and the globals into p, and
// returns the config blocks (of typeOrder's types) in file order.
func (p *parser) decode(body hcl.Body, typeOrder []string) (hcl.Blocks, hcl.Diagnostics) {
	reserved := map[string]bool{}
	configSchema := &hcl.BodySchema{}
	for _, t := range typeOrder {
		reserved[t] = true
		configSchema.Blocks = append(configSchema.Blocks, hcl.BlockHeaderSchema{Type: t, LabelNames: []string{"name"}})
	}
	for k := range p.opts.Defaults {
		reserved[k] = true
	}

	defs, _, diags := body.PartialContent(inputsSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	for _, b := range defs.Blocks {
		if reserved[b.Labels[0]] {
			continue
		}
		switch b.Type {
		case "variable":
			v, d := decodeVariableBlock(b)
			diags = append(diags, d...)
			if _, seen := p.vars[v.Name]; !seen {
				p.varOrder = append(p.varOrder, v.Name)
			}
			p.vars[v.Name] = v
		case "function":
			f, d := decodeFunctionBlock(b)
			diags = append(diags, d...)
			if _, seen := p.funcs[f.Name]; !seen {
				p.funcList = append(p.funcList, f.Name)
			}
			p.funcs[f.Name] = f
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}

	content, rest, diags := body.PartialContent(configSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	_, rest, diags = rest.PartialContent(inputsSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	attrs, diags := rest.JustAttributes()
	if diags := filterAttrDiags(diags, rest, reserved, p.vars, attrs); diags.HasErrors() {
		return nil, diags
	}
	for name, a := range attrs {
		if !reserved[name] && name != "function" {
			p.globals[name] = a
		}
	}
	return content.Blocks, nil
}

// resolveInputs evaluates every variable, checks their validations, and
// builds every user function, in buildx's order. Each failing variable and
// function is reported once; what depends on one fails quietly.
func (p *parser) resolveInputs() ([]*Variable, hcl.Diagnostics) {
	var (
		list  []*Variable
		diags hcl.Diagnostics
	)
	for _, name := range p.varOrder {
		if err := p.resolveValue(name, p.base); err != nil {
			r := p.vars[name].BodyRange
			diags = append(diags, withoutReported(wrapDiag("Invalid value", err, &r, &r))...)
			continue
		}
		list = append(list, p.listEntry(p.vars[name]))
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if diags := p.validateVariables(); diags.HasErrors() {
		return nil, diags
	}
	for _, name := range p.funcList {
		if err := p.resolveFunction(name); err != nil {
			f := p.funcs[name]
			subject, context := f.NameRange.Ptr(), f.DeclRange.Ptr()
			if f.Params != nil {
				subject, context = f.Params.Range.Ptr(), f.Params.Range.Ptr()
			}
			diags = append(diags, withoutReported(wrapDiag("Invalid function", err, subject, context))...)
		}
	}
	return list, diags
}

// expandBlocks evaluates every block's matrix and names (no block is
// referable yet) and records the instances under their names.
func (p *parser) expandBlocks(blocks hcl.Blocks, typeOrder []string, meta *Meta) ([][]*instance, hcl.Diagnostics) {
	meta.Decls = make(map[string]map[string][]Decl, len(typeOrder))
	for _, t := range typeOrder {
		meta.Renamed[t] = map[string][]string{}
		meta.Decls[t] = map[string][]Decl{}
	}
	p.naming = true
	defer func() { p.naming = false }()
	all := make([][]*instance, 0, len(blocks))
	for _, b := range blocks {
		p.seenTypes[b.Type] = true
		insts, diags := p.expandBlock(p.blockTypes[b.Type], b)
		if diags.HasErrors() {
			return nil, diags
		}
		if p.blocks[b.Type] == nil {
			p.blocks[b.Type] = map[string][]*instance{}
		}
		for _, in := range insts {
			p.blocks[b.Type][in.name] = append(p.blocks[b.Type][in.name], in)
			meta.Renamed[b.Type][b.Labels[0]] = append(meta.Renamed[b.Type][b.Labels[0]], in.name)
			meta.Decls[b.Type][in.name] = append(meta.Decls[b.Type][in.name], Decl{DefRange: b.DefRange, Attrs: in.attrs})
		}
		all = append(all, insts)
	}
	return all, nil
}

// evalBlocks evaluates every instance and stores it into cfg's slices; an
// instance whose name is already there is merged into it with the struct's
// Merge method (replacing it when there is none). Errors of all blocks are
// reported.
func (p *parser) evalBlocks(blocks hcl.Blocks, insts [][]*instance, cfg reflect.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	index := map[string]map[string]int{} // type → name → position in cfg's slice
	for i, b := range blocks {
		var bdiags hcl.Diagnostics
		for _, in := range insts[i] {
			if err := p.resolveInstance(in, ""); err != nil {
				bdiags = append(bdiags, wrapDiag("Invalid block", err, b.LabelRanges[0].Ptr(), b.DefRange.Ptr())...)
			}
			p.valuedTypes[b.Type] = true
		}
		if bdiags.HasErrors() {
			diags = append(diags, bdiags...)
			continue
		}
		bt := p.blockTypes[b.Type]
		field := cfg.Field(bt.field)
		if index[b.Type] == nil {
			index[b.Type] = map[string]int{}
			for j := range field.Len() {
				index[b.Type][field.Index(j).Elem().Field(bt.label).String()] = j
			}
		}
		for _, in := range insts[i] {
			j, ok := index[b.Type][in.name]
			if !ok {
				index[b.Type][in.name] = field.Len()
				field.Set(reflect.Append(field, in.out))
				continue
			}
			if merge := field.Index(j).MethodByName("Merge"); merge.IsValid() {
				merge.Call([]reflect.Value{in.out})
			} else {
				field.Index(j).Set(in.out)
			}
		}
	}
	return diags
}

// filterAttrDiags drops the diagnostics buildx ignores when reading globals:
// blocks of unknown types in body (HCL reports each at its type keyword),
// and names set again in a later file (duplicateArgument).
func filterAttrDiags(diags hcl.Diagnostics, body hcl.Body, reserved map[string]bool, vars map[string]*variable, attrs hcl.Attributes) hcl.Diagnostics {
	blocks := blockTypeRanges(body)
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Subject != nil && blocks[*d.Subject] {
			continue
		}
		if dup, ok := d.Extra.(duplicateArg); ok && (reserved[string(dup)] || vars[string(dup)] != nil || attrs[string(dup)] != nil) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// blockTypeRanges is the range of the type keyword of every block of body's
// native-syntax files (JSON has no blocks without a schema).
func blockTypeRanges(body hcl.Body) map[hcl.Range]bool {
	out := map[hcl.Range]bool{}
	bodies, ok := body.(mergedBody)
	if !ok {
		bodies = mergedBody{body}
	}
	for _, b := range bodies {
		if sb, ok := b.(*hclsyntax.Body); ok {
			for _, blk := range sb.Blocks {
				out[blk.TypeRange] = true
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

func sortStrings(s []string) { slices.Sort(s) }
