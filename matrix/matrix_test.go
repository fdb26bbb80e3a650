package matrix

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func TestExpand(t *testing.T) {
	str := func(ss ...string) cty.Value {
		var vs []cty.Value
		for _, s := range ss {
			vs = append(vs, cty.StringVal(s))
		}
		return cty.TupleVal(vs)
	}
	cases := []struct {
		name string
		in   cty.Value
		want []string // each combination rendered as k=v,k=v in key order
		err  error
	}{
		{
			name: "one key",
			in:   cty.ObjectVal(map[string]cty.Value{"a": str("1", "2")}),
			want: []string{"a=1", "a=2"},
		},
		{
			name: "first key varies fastest",
			in:   cty.ObjectVal(map[string]cty.Value{"b": str("x", "y"), "a": str("1", "2"), "c": str("p")}),
			want: []string{"a=1,b=x,c=p", "a=2,b=x,c=p", "a=1,b=y,c=p", "a=2,b=y,c=p"},
		},
		{
			name: "map of lists",
			in:   cty.MapVal(map[string]cty.Value{"a": cty.ListVal([]cty.Value{cty.StringVal("1")})}),
			want: []string{"a=1"},
		},
		{
			name: "objects and tuples as values",
			in: cty.ObjectVal(map[string]cty.Value{"item": cty.TupleVal([]cty.Value{
				cty.ObjectVal(map[string]cty.Value{"n": cty.StringVal("x")}),
				cty.TupleVal([]cty.Value{cty.StringVal("t"), cty.NumberIntVal(1)}),
			})}),
			want: []string{`item={"n":"x"}`, `item=["t",1]`},
		},
		{
			name: "an empty list yields no combination",
			in:   cty.ObjectVal(map[string]cty.Value{"a": str("1"), "b": cty.EmptyTupleVal}),
			want: nil,
		},
		{
			name: "an empty matrix yields one empty combination",
			in:   cty.EmptyObjectVal,
			want: []string{""},
		},
		{name: "not a map", in: str("a"), err: ErrNotMap},
		{name: "too many combinations", in: cty.ObjectVal(map[string]cty.Value{
			"a": cty.ListVal(make1024()), "b": cty.ListVal(make1024()), "c": str("x", "y"),
		}), err: ErrTooLarge},
		{name: "null", in: cty.NullVal(cty.DynamicPseudoType), err: ErrNotMap},
		{name: "value not a list", in: cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")}), err: ErrNotList},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Expand(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			var rendered []string
			for _, c := range got {
				rendered = append(rendered, render(t, c))
			}
			if strings.Join(rendered, "|") != strings.Join(tc.want, "|") || len(rendered) != len(tc.want) {
				t.Errorf("got %q, want %q", rendered, tc.want)
			}
		})
	}
}

func render(t *testing.T, c Combination) string {
	t.Helper()
	var keys []string
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		v := c[k]
		s := ""
		if v.Type() == cty.String {
			s = v.AsString()
		} else {
			b, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				t.Fatal(err)
			}
			s = string(b)
		}
		parts = append(parts, k+"="+s)
	}
	return strings.Join(parts, ",")
}

func TestName(t *testing.T) {
	cases := []struct {
		expr  string
		combo Combination
		want  string
		err   string
	}{
		{expr: `"app-${a}"`, combo: Combination{"a": cty.StringVal("x")}, want: "app-x"},
		{expr: `a`, combo: Combination{"a": cty.NumberIntVal(3)}, want: "3"},
		{expr: `"${a.n}-${b[1]}"`, combo: Combination{
			"a": cty.ObjectVal(map[string]cty.Value{"n": cty.StringVal("o")}),
			"b": cty.TupleVal([]cty.Value{cty.StringVal("p"), cty.StringVal("q")}),
		}, want: "o-q"},
		{expr: `a`, combo: Combination{"a": cty.TupleVal([]cty.Value{cty.StringVal("x")})}, err: "string required, but have tuple"},
		{expr: `a`, combo: Combination{"a": cty.NullVal(cty.String)}, err: "name must be a known, non-null string"},
		{expr: `nope`, combo: Combination{}, err: `expr.hcl:1,1-5: Unknown variable; There is no variable named "nope".`},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			expr, diags := hclsyntax.ParseExpression([]byte(tc.expr), "expr.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got, err := Name(expr, tc.combo.EvalContext(&hcl.EvalContext{}))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCheckUnique(t *testing.T) {
	if err := CheckUnique([]string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	err := CheckUnique([]string{"a", "b", "a", "b"})
	if err == nil || err.Error() != `duplicate name "a"` {
		t.Fatalf("err = %v", err)
	}
}

func make1024() []cty.Value {
	vs := make([]cty.Value, 1024)
	for i := range vs {
		vs[i] = cty.NumberIntVal(int64(i))
	}
	return vs
}
