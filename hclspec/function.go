package hclspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// userFunction is one decoded `function "NAME" {}` block.
type userFunction struct {
	Name      string
	Params    *hcl.Attribute
	Variadic  *hcl.Attribute
	Result    *hcl.Attribute
	DeclRange hcl.Range
	NameRange hcl.Range
}

var functionBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "params"}, {Name: "variadic_params"}, {Name: "result"}},
}

// decodeFunctionBlock reads a function block; unlike variables, unknown
// attributes are errors.
func decodeFunctionBlock(block *hcl.Block) (*userFunction, hcl.Diagnostics) {
	content, diags := block.Body.Content(functionBlockSchema)
	return &userFunction{
		Name:      block.Labels[0],
		Params:    content.Attributes["params"],
		Variadic:  content.Attributes["variadic_params"],
		Result:    content.Attributes["result"],
		DeclRange: block.DefRange,
		NameRange: block.LabelRanges[0],
	}, diags
}

// paramNames reads the parameter names; each must be a bare identifier.
func (f *userFunction) paramNames() ([]string, string, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(f.Params.Expr)
	if diags.HasErrors() {
		return nil, "", diags
	}
	var params []string
	for _, e := range exprs {
		name := hcl.ExprAsKeyword(e)
		if name == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid param element",
				Detail:   "Each parameter name must be an identifier.",
				Subject:  e.Range().Ptr(),
			})
		}
		params = append(params, name)
	}
	var variadic string
	if f.Variadic != nil {
		variadic = hcl.ExprAsKeyword(f.Variadic.Expr)
		if variadic == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid param element",
				Detail:   "Each parameter name must be an identifier.",
				Subject:  f.Variadic.Range.Ptr(),
			})
		}
	}
	return params, variadic, diags
}

// resolveFunction makes a user function callable, resolving the variables
// and functions its result refers to first.
func (p *parser) resolveFunction(name string) error {
	if _, ok := p.base.Functions[name]; ok {
		return nil
	}
	f, ok := p.funcs[name]
	if !ok {
		return fmt.Errorf("function %q does not exist: %w", name, errUndefined)
	}
	key := node{kind: "function", name: name}
	if p.failed[key] {
		return errReported
	}
	if p.inProgress[key] {
		return p.cycleError(key, fmt.Sprintf("function cycle not allowed for %s", name))
	}
	fn, err := p.buildFunction(f, key)
	if err != nil {
		p.failed[key] = true
		return err
	}
	p.base.Functions[name] = fn
	return nil
}

// buildFunction checks a function block and builds its function once what
// its result refers to is resolved.
func (p *parser) buildFunction(f *userFunction, key node) (function.Function, error) {
	name := f.Name
	if f.Result == nil {
		return function.Function{}, fmt.Errorf("empty result not allowed for %s", name)
	}
	if f.Params == nil {
		return function.Function{}, fmt.Errorf("empty params not allowed for %s", name)
	}
	params, variadic, diags := f.paramNames()
	if diags.HasErrors() {
		return function.Function{}, diags
	}
	exclude := map[string]bool{}
	for _, n := range params {
		exclude[n] = true
	}
	if f.Variadic != nil {
		exclude[variadic] = true
	}

	p.enter(key)
	defer p.leave(key)
	if _, diags := p.prepare(f.Result.Expr, p.base, exclude, false); diags.HasErrors() {
		return function.Function{}, diags
	}
	return p.newFunction(params, variadic, f.Variadic != nil, f.Result.Expr), nil
}

// newFunction builds the cty function: the result expression evaluated in a
// child of the global context holding the arguments.
func (p *parser) newFunction(params []string, variadic string, hasVariadic bool, result hcl.Expression) function.Function {
	spec := &function.Spec{}
	for _, n := range params {
		spec.Params = append(spec.Params, function.Parameter{Name: n, Type: cty.DynamicPseudoType})
	}
	if hasVariadic {
		spec.VarParam = &function.Parameter{Name: variadic, Type: cty.DynamicPseudoType}
	}
	impl := func(args []cty.Value) (cty.Value, error) {
		if err := p.step(); err != nil {
			return cty.DynamicVal, err
		}
		ctx := p.base.NewChild()
		ctx.Variables = make(map[string]cty.Value, len(args))
		for i, n := range params {
			ctx.Variables[n] = args[i]
		}
		if hasVariadic {
			ctx.Variables[variadic] = cty.TupleVal(args[len(params):])
		}
		v, diags := result.Value(ctx)
		if diags.HasErrors() {
			return cty.DynamicVal, diags
		}
		return v, nil
	}
	// buildx evaluates the body once for the type and again for the value;
	// a dynamic return type gives the same values with one evaluation.
	spec.Type = function.StaticReturnType(cty.DynamicPseudoType)
	spec.Impl = func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return impl(args)
	}
	return function.New(spec)
}
