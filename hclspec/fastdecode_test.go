package hclspec

import (
	"reflect"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// TestFastDecodeMatchesGocty checks that every value the fast paths take
// decodes as cty/convert + gocty decode it, and that they leave other
// values to that slow path.
func TestFastDecodeMatchesGocty(t *testing.T) {
	s := cty.StringVal
	values := []cty.Value{
		s("x"),
		cty.NumberIntVal(1),
		cty.NullVal(cty.String),
		cty.UnknownVal(cty.String),
		cty.TupleVal([]cty.Value{s("a"), s("b")}),
		cty.TupleVal([]cty.Value{s("a"), cty.NumberIntVal(2)}),
		cty.ListVal([]cty.Value{s("a")}),
		cty.EmptyTupleVal,
		cty.ObjectVal(map[string]cty.Value{"k": s("v"), "j": s("w")}),
		cty.ObjectVal(map[string]cty.Value{"k": cty.BoolVal(true)}),
		cty.MapVal(map[string]cty.Value{"k": s("v")}),
		cty.EmptyObjectVal,
		s("x").Mark("sensitive"),
	}
	types := []reflect.Type{stringType, stringPtrType, stringSliceType, stringMapType, stringPtrMapType}
	for _, typ := range types {
		for _, v := range values {
			fast := reflect.New(typ).Elem()
			if !fastDecode(fast, v) {
				continue
			}
			ty, err := gocty.ImpliedType(reflect.Zero(typ).Interface())
			if err != nil {
				t.Fatal(err)
			}
			cv, err := convert.Convert(v, ty)
			if err != nil {
				t.Errorf("%s from %#v: fast path took a value the slow path rejects: %v", typ, v, err)
				continue
			}
			slow := reflect.New(typ)
			if err := gocty.FromCtyValue(cv, slow.Interface()); err != nil {
				t.Errorf("%s from %#v: %v", typ, v, err)
				continue
			}
			if !reflect.DeepEqual(fast.Interface(), slow.Elem().Interface()) {
				t.Errorf("%s from %#v: fast %#v, slow %#v", typ, v, fast.Interface(), slow.Elem().Interface())
			}
		}
	}
	// Values the fast paths must leave alone.
	for _, tc := range []struct {
		typ reflect.Type
		v   cty.Value
	}{
		{stringPtrType, cty.NumberIntVal(1)},
		{stringSliceType, cty.TupleVal([]cty.Value{s("a"), cty.NumberIntVal(2)})},
		{stringPtrMapType, cty.ObjectVal(map[string]cty.Value{"k": cty.NullVal(cty.String)})},
		{stringType, s("x").Mark("sensitive")},
	} {
		if fastDecode(reflect.New(tc.typ).Elem(), tc.v) {
			t.Errorf("%s from %#v: fast path taken", tc.typ, tc.v)
		}
	}
}
