package hclspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// errUndefined marks a reference to a name nothing declares; callers that
// allow missing names let HCL report it with the exact range.
var errUndefined = errors.New("undefined")

// errReported marks a variable or function whose error is already reported;
// what depends on it fails quietly, so that each mistake is reported once.
var errReported = errors.New("depends on an invalid value")

// reportedDiag carries errReported through diagnostics; Parse drops it.
var reportedDiag = &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value", Detail: errReported.Error(), Extra: errReported}

// withoutReported drops reportedDiag from diags.
func withoutReported(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d != reportedDiag {
			out = append(out, d)
		}
	}
	return out
}

// maxSteps bounds the user-function calls of one Parse, so that a file of
// functions calling each other several times per level (exponential in the
// depth) fails in about a second instead of running for hours.
const maxSteps = 1_000_000

// parser holds the state of one evaluation. Every variable, global, function
// and block attribute is evaluated at most once and memoized; inProgress and
// stack detect cycles and name them; failed remembers what already reported
// an error.
type parser struct {
	opts Options
	src  map[string][]byte // file name → bytes, to read HCL-JSON strings

	base *hcl.EvalContext // resolved variables and globals, stdlib and user functions

	vars     map[string]*variable
	varOrder []string
	globals  map[string]*hcl.Attribute
	funcs    map[string]*userFunction
	funcList []string

	blockTypes map[string]*blockType // set when blocks are evaluated
	blocks     map[string]map[string][]*instance
	// seenTypes are the block types met so far; as in buildx, a type is a
	// variable only from its first block on.
	seenTypes map[string]bool
	// valuedTypes are the block types of which an instance was evaluated:
	// until then buildx's variable for the type is an empty map, so a
	// reference to an unknown name fails as a missing map element.
	valuedTypes map[string]bool
	naming      bool // block names are being evaluated: no block is referable yet

	// traversals memoizes expr.Variables(): the instances of a matrix share
	// their expressions.
	traversals map[hcl.Expression][]hcl.Traversal

	inProgress map[node]bool
	failed     map[node]bool
	stack      []node
	steps      int
}

// node is one thing being evaluated: a variable or global, a function, a
// block instance, or one attribute of it.
type node struct {
	kind string // "variable", "function" or a block type
	name string
	in   *instance
	attr string
}

func (n node) String() string {
	switch {
	case n.in == nil:
		return n.kind + " " + n.name
	case n.attr == "":
		return n.kind + "." + n.in.name
	default:
		return n.kind + "." + n.in.name + "." + n.attr
	}
}

func (p *parser) enter(n node) {
	p.inProgress[n] = true
	p.stack = append(p.stack, n)
}

func (p *parser) leave(n node) {
	delete(p.inProgress, n)
	p.stack = p.stack[:len(p.stack)-1]
}

func (p *parser) step() error {
	p.steps++
	if p.steps > maxSteps {
		return fmt.Errorf("evaluation exceeds %d function calls", maxSteps)
	}
	return nil
}

// cycleError names the chain that leads back to n.
func (p *parser) cycleError(n node, msg string) error {
	var chain []string
	for i, k := range p.stack {
		if k == n {
			for _, k := range p.stack[i:] {
				chain = append(chain, k.String())
			}
			break
		}
	}
	chain = append(chain, n.String())
	return fmt.Errorf("%s (%s)", msg, strings.Join(chain, " -> "))
}

// prepare resolves everything expr refers to (functions, variables, globals,
// blocks) and returns the context to evaluate it in: ectx itself, or a child
// holding the referenced blocks. Names in exclude are bound by the caller
// (function parameters). With allowMissing, undefined names are left for HCL
// to report where they are written.
func (p *parser) prepare(expr hcl.Expression, ectx *hcl.EvalContext, exclude map[string]bool, allowMissing bool) (*hcl.EvalContext, hcl.Diagnostics) {
	// Once blocks are evaluated every user function has been resolved, and
	// HCL itself reports calls to unknown ones where they are written.
	var fns []string
	if p.blockTypes == nil {
		var diags hcl.Diagnostics
		if fns, diags = p.funcCalls(expr); diags.HasErrors() {
			return nil, diags
		}
	}
	for _, fn := range fns {
		if _, ok := ectx.Functions[fn]; ok {
			continue
		}
		if err := p.resolveFunction(fn); err != nil {
			if allowMissing && errors.Is(err, errUndefined) {
				continue
			}
			return nil, wrapDiag("Invalid expression", err, expr.Range().Ptr(), expr.Range().Ptr())
		}
	}

	var refs map[string]map[string]cty.Value
	trs, ok := p.traversals[expr]
	if !ok {
		trs = expr.Variables()
		p.traversals[expr] = trs
	}
	for _, tr := range trs {
		root := tr.RootName()
		if exclude[root] {
			continue
		}
		if bt, ok := p.blockTypes[root]; ok {
			name, attr, diags := blockRef(root, tr, expr)
			if diags.HasErrors() {
				return nil, diags
			}
			if !p.seenTypes[root] {
				continue // HCL reports the unknown variable
			}
			if refs == nil {
				refs = map[string]map[string]cty.Value{}
			}
			if refs[root] == nil {
				refs[root] = map[string]cty.Value{}
			}
			if p.naming {
				continue // no block is referable while names are evaluated
			}
			insts := p.blocks[root][name]
			if len(insts) == 0 {
				continue
			}
			for _, in := range insts {
				if err := p.resolveInstance(in, attr); err != nil {
					return nil, wrapDiag("Invalid expression", err, expr.Range().Ptr(), expr.Range().Ptr())
				}
			}
			// As in buildx, the last block of that name is what a reference sees.
			refs[root][name] = insts[len(insts)-1].value(bt)
			p.valuedTypes[root] = true
			continue
		}
		if hasVariable(ectx, root) {
			continue
		}
		if err := p.resolveValue(root, ectx); err != nil {
			if allowMissing && errors.Is(err, errUndefined) {
				continue
			}
			return nil, wrapDiag("Invalid expression", err, expr.Range().Ptr(), expr.Range().Ptr())
		}
	}
	if refs == nil {
		return ectx, nil
	}
	child := ectx.NewChild()
	child.Variables = make(map[string]cty.Value, len(refs))
	for typ, m := range refs {
		if !p.valuedTypes[typ] {
			// What buildx's context holds for a type before any block is done.
			child.Variables[typ] = cty.MapValEmpty(cty.Map(cty.String))
			continue
		}
		child.Variables[typ] = cty.ObjectVal(m)
	}
	return child, nil
}

// hasVariable reports whether name is bound in ectx or one of its parents.
func hasVariable(ectx *hcl.EvalContext, name string) bool {
	for c := ectx; c != nil; c = c.Parent() {
		if _, ok := c.Variables[name]; ok {
			return true
		}
	}
	return false
}

// blockRef splits `TYPE.NAME.ATTR...` into NAME and ATTR ("" for the whole block).
func blockRef(typ string, tr hcl.Traversal, expr hcl.Expression) (string, string, hcl.Diagnostics) {
	rel := tr.SimpleSplit().Rel
	if len(rel) == 0 {
		return "", "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid expression",
			Detail:   fmt.Sprintf("cannot access %s as a variable", typ),
			Subject:  expr.Range().Ptr(),
			Context:  expr.Range().Ptr(),
		}}
	}
	name, ok := rel[0].(hcl.TraverseAttr)
	if !ok {
		return "", "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid expression",
			Detail:   fmt.Sprintf("cannot traverse %s without attribute", typ),
			Subject:  expr.Range().Ptr(),
			Context:  expr.Range().Ptr(),
		}}
	}
	attr := ""
	if len(rel) > 1 {
		if a, ok := rel[1].(hcl.TraverseAttr); ok {
			attr = a.Name
		}
	}
	return name.Name, attr, nil
}

// resolveValue evaluates a variable or global attribute once and stores it
// in the base context.
func (p *parser) resolveValue(name string, ectx *hcl.EvalContext) error {
	if _, ok := p.base.Variables[name]; ok {
		return nil
	}
	if def, ok := p.opts.Defaults[name]; ok {
		p.base.Variables[name] = cty.StringVal(def)
		return nil
	}
	_, isGlobal := p.globals[name]
	_, isVar := p.vars[name]
	if !isGlobal && !isVar {
		return fmt.Errorf("variable %q does not exist: %w", name, errUndefined)
	}
	key := node{kind: "variable", name: name}
	if p.failed[key] {
		return errReported
	}
	if p.inProgress[key] {
		return p.cycleError(key, fmt.Sprintf("variable cycle not allowed for %s", name))
	}
	p.enter(key)
	defer p.leave(key)

	v, err := p.evalValue(name, ectx)
	if err != nil {
		p.failed[key] = true
		return err
	}
	p.base.Variables[name] = v
	return nil
}

// funcCalls lists the functions expr calls. HCL-JSON expressions hide their
// strings, so their JSON source is read back and each string parsed.
func (p *parser) funcCalls(expr hcl.Expression) ([]string, hcl.Diagnostics) {
	var names []string
	if node, ok := expr.(hclsyntax.Node); ok {
		diags := hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
			if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				names = append(names, fc.Name)
			}
			return nil
		})
		return names, diags
	}
	rng := expr.Range()
	src, ok := p.src[rng.Filename]
	if !ok || rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return nil, nil
	}
	var raw any
	if err := json.Unmarshal(src[rng.Start.Byte:rng.End.Byte], &raw); err != nil {
		return nil, nil
	}
	var walk func(any)
	// As buildx does, each JSON string is parsed as a bare expression, not
	// as a template: "${f(x)}" finds no call (so a JSON variable default
	// cannot call a user function that nothing else resolved), "f(x)" does.
	addString := func(s string) {
		e, diags := hclsyntax.ParseExpression([]byte(s), rng.Filename, rng.Start)
		if diags.HasErrors() {
			return
		}
		hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
			if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				names = append(names, fc.Name)
			}
			return nil
		})
	}
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			addString(v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				addString(k)
				walk(e)
			}
		}
	}
	walk(raw)
	return names, nil
}

// wrapDiag turns an error into diagnostics, keeping diagnostics as they are.
func wrapDiag(summary string, err error, subject, context *hcl.Range) hcl.Diagnostics {
	if errors.Is(err, errReported) {
		return hcl.Diagnostics{reportedDiag}
	}
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		return diags
	}
	var d *hcl.Diagnostic
	if errors.As(err, &d) {
		return hcl.Diagnostics{d}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   err.Error(),
		Subject:  subject,
		Context:  context,
	}}
}
