package hclspec

import (
	"reflect"

	"github.com/zclconf/go-cty/cty"
)

// Fast paths for the field types nearly every attribute has (string,
// *string, []string, map[string]string, map[string]*string), taken only when
// the value already has the exact shape; anything else goes through
// cty/convert and gocty, which build a conversion per value.
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

// plainCollection reports whether v is a known, non-null, unmarked value of
// one of the given kinds of collection.
func plainCollection(v cty.Value, seq bool) bool {
	ty := v.Type()
	if seq && !(ty.IsTupleType() || ty.IsListType()) || !seq && !(ty.IsObjectType() || ty.IsMapType()) {
		return false
	}
	return v.IsKnown() && !v.IsNull() && !v.IsMarked()
}

// fastDecode stores v into fv when both have a common shape; it reports
// whether it did (fv is untouched when not).
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
		if !plainCollection(v, true) {
			return false
		}
		out := make([]string, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if !plainString(e) {
				return false
			}
			out = append(out, e.AsString())
		}
		fv.Set(reflect.ValueOf(out))
		return true
	case stringMapType, stringPtrMapType:
		if !plainCollection(v, false) {
			return false
		}
		n := v.LengthInt()
		plain := make(map[string]string, n)
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if !plainString(e) {
				return false
			}
			plain[k.AsString()] = e.AsString()
		}
		if fv.Type() == stringMapType {
			fv.Set(reflect.ValueOf(plain))
			return true
		}
		ptrs := make(map[string]*string, n)
		vals := make([]string, 0, n) // one allocation for all the values
		for k, s := range plain {
			vals = append(vals, s)
			ptrs[k] = &vals[len(vals)-1]
		}
		fv.Set(reflect.ValueOf(ptrs))
		return true
	}
	return false
}
