package hclspec

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/tonistiigi/go-csvvalue"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// jsonEnvSuffix names the environment variable that gives a complex-typed
// variable its value as JSON: FOO_JSON for variable FOO.
const jsonEnvSuffix = "_JSON"

// variable is one decoded `variable "NAME" {}` block.
type variable struct {
	Name        string
	Type        hcl.Expression // nil when absent
	Default     *hcl.Attribute // nil when absent
	Description string
	Validations []*validation
	DeclRange   hcl.Range
	BodyRange   hcl.Range // where buildx points errors about the value: the body's opening

	constraint *cty.Type // set once evaluated, when a type was given
}

type validation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
}

var variableBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

// validationBlockSchema: both attributes are optional, as in buildx (an
// absent one is a null value: a failed check or a generic message).
var validationBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition"}, {Name: "error_message"}},
}

// decodeVariableBlock reads a variable block; unknown attributes are ignored,
// as in buildx.
func decodeVariableBlock(block *hcl.Block) (*variable, hcl.Diagnostics) {
	v := &variable{Name: block.Labels[0], DeclRange: block.DefRange, BodyRange: block.Body.MissingItemRange()}
	content, _, diags := block.Body.PartialContent(variableBlockSchema)
	if a, ok := content.Attributes["type"]; ok {
		v.Type = a.Expr
	}
	v.Default = content.Attributes["default"]
	if a, ok := content.Attributes["description"]; ok {
		val, vdiags := a.Expr.Value(nil)
		diags = append(diags, vdiags...)
		if !vdiags.HasErrors() {
			s, err := convert.Convert(val, cty.String)
			switch {
			case err != nil:
				diags = append(diags, unsuitable(a.Expr, err))
			case s.IsNull():
			default:
				v.Description = s.AsString()
			}
		}
	}
	for _, b := range content.Blocks {
		vc, vdiags := b.Body.Content(validationBlockSchema)
		diags = append(diags, vdiags...)
		if vdiags.HasErrors() {
			continue
		}
		v.Validations = append(v.Validations, &validation{
			Condition:    attrExpr(vc.Attributes["condition"], b.Body),
			ErrorMessage: attrExpr(vc.Attributes["error_message"], b.Body),
		})
	}
	return v, diags
}

// attrExpr is attr's expression, or a null standing where it is missing.
func attrExpr(attr *hcl.Attribute, body hcl.Body) hcl.Expression {
	if attr == nil {
		return hcl.StaticExpr(cty.NullVal(cty.DynamicPseudoType), body.MissingItemRange())
	}
	return attr.Expr
}

func unsuitable(expr hcl.Expression, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unsuitable value type",
		Detail:   "Unsuitable value: " + err.Error(),
		Subject:  expr.StartRange().Ptr(),
		Context:  expr.Range().Ptr(),
	}
}

// typeConstraint reads a `type` expression; an absent type is "any" without
// being "specified".
func typeConstraint(expr hcl.Expression) (cty.Type, bool, hcl.Diagnostics) {
	if expr == nil {
		return cty.DynamicPseudoType, false, nil
	}
	t, diags := typeexpr.TypeConstraint(expr)
	if diags.HasErrors() {
		if v, err := expr.Value(nil); err == nil && v.IsNull() {
			return cty.DynamicPseudoType, false, nil
		}
		return t, false, diags
	}
	specified := !t.Equals(cty.DynamicPseudoType) || hcl.ExprAsKeyword(expr) == "any"
	return t, specified, nil
}

// envOverride returns the override for a variable from --var or the
// environment, and whether it is JSON (NAME_JSON).
func (p *parser) envOverride(name string, favorJSON bool) (string, bool, bool) {
	val, ok := p.lookup(name)
	if !ok || favorJSON {
		jsonName := name + jsonEnvSuffix
		_, reserved := p.opts.Defaults[jsonName]
		if _, declared := p.vars[jsonName]; !declared && !reserved {
			if j, ok := p.lookup(jsonName); ok {
				return j, true, true
			}
		}
	}
	return val, ok, false
}

func (p *parser) lookup(name string) (string, bool) {
	if v, ok := p.opts.Vars[name]; ok {
		return v, true
	}
	if p.opts.LookupEnv != nil {
		return p.opts.LookupEnv(name)
	}
	return "", false
}

// evalValue computes a variable's or a global's value as buildx does: a
// global of the same name as a variable wins (and the variable's type is not
// read), a variable's default is converted to its type, and then a declared
// variable is overridden from --var or the environment. A variable is
// evaluated in the root context; a global in the context of whatever refers
// to it first (a matrix combination's, say), and that value is then kept for
// every reference, as buildx keeps it.
func (p *parser) evalValue(name string, ectx *hcl.EvalContext) (cty.Value, error) {
	varType, typeSpecified := cty.DynamicPseudoType, false
	vr, isVar := p.vars[name]
	def, isGlobal := p.globals[name]
	if !isGlobal {
		ectx = p.base
		def = vr.Default
		var diags hcl.Diagnostics
		varType, typeSpecified, diags = typeConstraint(vr.Type)
		if diags.HasErrors() {
			return cty.NilVal, diags
		}
		if typeSpecified {
			vr.constraint = &varType
		}
	}
	if def == nil {
		if _, ok, _ := p.envOverride(name, false); !ok {
			if typeSpecified {
				return cty.NullVal(varType), nil
			}
			return cty.StringVal(""), nil
		}
	}

	var vv cty.Value
	if def != nil {
		ectx, diags := p.prepare(def.Expr, ectx, nil, true)
		if diags.HasErrors() {
			return cty.NilVal, diags
		}
		v, diags := def.Expr.Value(ectx)
		if diags.HasErrors() {
			return cty.NilVal, diags
		}
		var err error
		vv, err = convert.Convert(v, varType)
		if err != nil {
			return cty.NilVal, fmt.Errorf("invalid type %s for variable %s default value: %w", varType.FriendlyName(), name, err)
		}
	}

	envv, hasEnv, jsonEnv := p.envOverride(name, typeSpecified)
	if !hasEnv || !isVar {
		return vv, nil
	}
	var err error
	switch {
	case typeSpecified && jsonEnv:
		vv, err = ctyjson.Unmarshal([]byte(envv), varType)
		if err != nil {
			return cty.NilVal, fmt.Errorf("failed to convert variable %s from JSON: %w", name, err)
		}
	case supportedCSVType(varType):
		vv, err = valueFromCSV(name, envv, varType)
		if err != nil {
			return cty.NilVal, fmt.Errorf("failed to convert variable %s from CSV: %w", name, err)
		}
	case typeSpecified && varType.IsPrimitiveType():
		return convertPrimitive(name, envv, varType)
	case typeSpecified:
		return cty.NilVal, fmt.Errorf("unsupported type %s for variable %s", varType.FriendlyName(), name)
	case def == nil, vv.Type().Equals(cty.DynamicPseudoType):
		vv = cty.StringVal(envv)
	case vv.Type().IsPrimitiveType():
		return convertPrimitive(name, envv, vv.Type())
	default:
		return cty.NilVal, fmt.Errorf("unsupported type %s for variable %s", vv.Type().FriendlyName(), name)
	}
	return vv, nil
}

// convertPrimitive parses an environment string as a string, bool or number.
func convertPrimitive(name, value string, target cty.Type) (cty.Value, error) {
	switch {
	case target.Equals(cty.String):
		return cty.StringVal(value), nil
	case target.Equals(cty.Bool):
		b, err := strconv.ParseBool(value)
		if err != nil {
			return cty.NilVal, fmt.Errorf("failed to parse %s as bool: %w", name, err)
		}
		return cty.BoolVal(b), nil
	case target.Equals(cty.Number):
		n, err := strconv.ParseFloat(value, 64)
		if err == nil && (math.IsNaN(n) || math.IsInf(n, 0)) {
			err = fmt.Errorf("invalid number value")
		}
		if err != nil {
			return cty.NilVal, fmt.Errorf("failed to parse %s as number: %w", name, err)
		}
		return cty.NumberVal(big.NewFloat(n)), nil
	default:
		return cty.NilVal, fmt.Errorf("%s of type %s is not a primitive", name, target.FriendlyName())
	}
}

func supportedCSVType(t cty.Type) bool {
	return t.IsListType() || t.IsSetType() || t.IsTupleType() || t.IsMapType()
}

// valueFromCSV parses an environment string as CSV into a list, set, tuple
// or map (k:v fields) of primitives.
func valueFromCSV(name, value string, target cty.Type) (cty.Value, error) {
	fields, err := csvvalue.Fields(value, nil)
	if err != nil {
		return cty.NilVal, fmt.Errorf("failed to parse %s as CSV: %w", value, err)
	}
	unsupported := fmt.Errorf("unsupported type %s for CSV specification", target.FriendlyName())
	each := func(t cty.Type) ([]cty.Value, error) {
		var elems []cty.Value
		for _, f := range fields {
			v, err := convertPrimitive(name, f, t)
			if err != nil {
				return nil, fmt.Errorf("failed to parse element of type %s: %w", target.FriendlyName(), err)
			}
			elems = append(elems, v)
		}
		return elems, nil
	}
	switch {
	case target.IsListType(), target.IsSetType():
		if !target.ElementType().IsPrimitiveType() {
			return cty.NilVal, unsupported
		}
		elems, err := each(target.ElementType())
		if err != nil {
			return cty.NilVal, err
		}
		if target.IsSetType() {
			return cty.SetVal(elems), nil
		}
		return cty.ListVal(elems), nil
	case target.IsTupleType():
		types := target.TupleElementTypes()
		if len(types) != len(fields) {
			return cty.NilVal, fmt.Errorf("%s expects %d elements but only %d provided", target.FriendlyName(), len(types), len(fields))
		}
		var elems []cty.Value
		for i, f := range fields {
			if !types[i].IsPrimitiveType() {
				return cty.NilVal, unsupported
			}
			v, err := convertPrimitive(name, f, types[i])
			if err != nil {
				return cty.NilVal, fmt.Errorf("failed to parse element of type %s: %w", target.FriendlyName(), err)
			}
			elems = append(elems, v)
		}
		return cty.TupleVal(elems), nil
	case target.IsMapType():
		if !target.ElementType().IsPrimitiveType() {
			return cty.NilVal, unsupported
		}
		parser := csvvalue.Parser{Comma: ':'}
		var kv []string
		m := map[string]cty.Value{}
		for _, f := range fields {
			kv, err = parser.Fields(f, kv)
			if err != nil {
				return cty.NilVal, fmt.Errorf("failed to parse %s as k/v for variable %s: %w", f, name, err)
			}
			if len(kv) != 2 {
				return cty.NilVal, fmt.Errorf("expected one k/v pair but got %d pieces from %s", len(kv), f)
			}
			v, err := convertPrimitive(name, kv[1], target.ElementType())
			if err != nil {
				return cty.NilVal, fmt.Errorf("failed to parse element from type %s: %w", target.FriendlyName(), err)
			}
			m[kv[0]] = v
		}
		return cty.MapVal(m), nil
	}
	return cty.NilVal, unsupported
}

// validateVariables checks every validation rule of every variable and
// reports each failure.
func (p *parser) validateVariables() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range p.varOrder {
		for _, rule := range p.vars[name].Validations {
			result, cdiags := rule.Condition.Value(p.base)
			if cdiags.HasErrors() {
				diags = append(diags, cdiags...)
				continue
			}
			if result.IsNull() {
				diags = append(diags, &hcl.Diagnostic{
					Severity:   hcl.DiagError,
					Summary:    "Invalid condition result",
					Detail:     "Condition expression must return either true or false, not null.",
					Subject:    rule.Condition.Range().Ptr(),
					Expression: rule.Condition,
				})
				continue
			}
			result, err := convert.Convert(result, cty.Bool)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity:   hcl.DiagError,
					Summary:    "Invalid condition result",
					Detail:     fmt.Sprintf("Invalid condition result value: %s", err),
					Subject:    rule.Condition.Range().Ptr(),
					Expression: rule.Condition,
				})
				continue
			}
			if !result.IsKnown() || result.True() {
				continue
			}
			msg, mdiags := rule.ErrorMessage.Value(p.base)
			if mdiags.HasErrors() {
				diags = append(diags, mdiags...)
				continue
			}
			text := "This check failed, but has an invalid error message."
			if !msg.IsNull() {
				if s, err := convert.Convert(msg, cty.String); err == nil && s.IsKnown() {
					text = s.AsString()
				}
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Validation failed",
				Detail:   text,
				Subject:  rule.Condition.Range().Ptr(),
			})
		}
	}
	return diags
}

// listEntry renders a resolved variable as `--list variables` shows it.
func (p *parser) listEntry(vr *variable) *Variable {
	out := &Variable{Name: vr.Name, Description: vr.Description}
	tc := vr.constraint
	if tc != nil {
		out.Type = tc.FriendlyNameForConstraint()
	}
	vv, ok := p.base.Variables[vr.Name]
	if !ok || vv.IsNull() {
		return out
	}
	var s string
	switch {
	case tc != nil:
		if bs, err := ctyjson.Marshal(vv, *tc); err == nil {
			s = string(bs)
			if tc.Equals(cty.String) {
				s = strings.Trim(s, `"`)
			}
		}
	case vv.Type().IsPrimitiveType():
		if v, err := convert.Convert(vv, cty.String); err == nil {
			s = v.AsString()
		}
	default:
		if bs, err := ctyjson.Marshal(vv, vv.Type()); err == nil {
			s = string(bs)
		}
	}
	out.Value = &s
	return out
}
