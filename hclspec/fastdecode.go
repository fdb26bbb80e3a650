package hclspec

import (
	"reflect"

	"github.com/zclconf/go-cty/cty"
)

// Fast paths for the field types nearly every attribute has (string,
// *string, []string, map[string]string, map[string]*string), taken only when
// the value already has the exact shape; anything else goes through
// cty/convert and gocty. They decode tens of thousands of attributes
// without building a conversion per value.
var (
	stringType       = reflect.TypeFor[string]()
	stringPtrType    = reflect.TypeFor[*string]()
	stringSliceType  = reflect.TypeFor[[]string]()
	stringMapType    = reflect.TypeFor[map[string]string]()
	stringPtrMapType = reflect.TypeFor[map[string]*string]()
)

// plainString reports whether v is a known, non-null, unmarked string.
func plainString(v cty.Value) bool {
	return v.Type() == cty.String && v.IsKnown() && !v.IsNull() && !v.IsMarked()
}

// plainStrings reports whether v is a known tuple or list whose elements are
// all plain strings.
func plainStrings(v cty.Value) bool {
	ty := v.Type()
	if !(ty.IsTupleType() || ty.IsListType()) || !v.IsKnown() || v.IsNull() || v.IsMarked() {
		return false
	}
	for it := v.ElementIterator(); it.Next(); {
		if _, e := it.Element(); !plainString(e) {
			return false
		}
	}
	return true
}

// plainStringMap reports whether v is a known object or map of plain strings.
func plainStringMap(v cty.Value) bool {
	ty := v.Type()
	if !(ty.IsObjectType() || ty.IsMapType()) || !v.IsKnown() || v.IsNull() || v.IsMarked() {
		return false
	}
	for it := v.ElementIterator(); it.Next(); {
		if _, e := it.Element(); !plainString(e) {
			return false
		}
	}
	return true
}

// fastDecode stores v into fv when both have a common shape; it reports
// whether it did.
func fastDecode(fv reflect.Value, v cty.Value) bool {
	switch fv.Type() {
	case stringType:
		if plainString(v) {
			fv.SetString(v.AsString())
			return true
		}
	case stringPtrType:
		if plainString(v) {
			s := v.AsString()
			fv.Set(reflect.ValueOf(&s))
			return true
		}
	case stringSliceType:
		if plainStrings(v) {
			out := make([]string, 0, v.LengthInt())
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				out = append(out, e.AsString())
			}
			fv.Set(reflect.ValueOf(out))
			return true
		}
	case stringMapType:
		if plainStringMap(v) {
			out := make(map[string]string, v.LengthInt())
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				out[k.AsString()] = e.AsString()
			}
			fv.Set(reflect.ValueOf(out))
			return true
		}
	case stringPtrMapType:
		if plainStringMap(v) {
			out := make(map[string]*string, v.LengthInt())
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				s := e.AsString()
				out[k.AsString()] = &s
			}
			fv.Set(reflect.ValueOf(out))
			return true
		}
	}
	return false
}
