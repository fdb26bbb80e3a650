package main

import (
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/builder/request"
)

// TestRequestTargetCopiesEveryField checks that request.Target mirrors
// bake.Target (same names, same types) and that requestTarget copies every
// field: a field added to one side and not the other would be silently
// ignored by the build.
func TestRequestTargetCopiesEveryField(t *testing.T) {
	var bt bake.Target
	bv := reflect.ValueOf(&bt).Elem()
	rt := reflect.TypeOf(request.Target{})
	for i := range rt.NumField() {
		f := rt.Field(i)
		if derived(f) {
			continue
		}
		bf, ok := bv.Type().FieldByName(f.Name)
		if !ok || bf.Type != f.Type {
			t.Fatalf("request.Target.%s (%s) has no bake.Target field of that name and type", f.Name, f.Type)
		}
		if bf.Tag.Get("json") != f.Tag.Get("json") {
			t.Errorf("%s: json tag %q, bake's %q", f.Name, f.Tag.Get("json"), bf.Tag.Get("json"))
		}
		// A distinct non-zero value per field.
		v := bv.FieldByName(f.Name)
		switch v.Kind() {
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		case reflect.Map:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			t.Fatalf("%s: kind %s not covered by this test", f.Name, v.Kind())
		}
	}
	// Every build-relevant exported field of bake.Target is in request.Target.
	for i := range bv.NumField() {
		f := bv.Type().Field(i)
		switch {
		case !f.IsExported(), f.Name == "Name", f.Name == "Description", f.Name == "Inherits":
			continue // identity and inheritance: resolved before translation
		}
		if _, ok := rt.FieldByName(f.Name); !ok {
			t.Errorf("bake.Target.%s is not in request.Target: the build would not see it", f.Name)
		}
	}
	rv := reflect.ValueOf(requestTarget(&bt)).Elem()
	for i := range rt.NumField() {
		name := rt.Field(i).Name
		if derived(rt.Field(i)) {
			continue
		}
		if rv.Field(i).IsZero() {
			t.Errorf("requestTarget does not copy %s", name)
		}
		if rv.Field(i).Kind() == reflect.Pointer && rv.Field(i).Pointer() != bv.FieldByName(name).Pointer() {
			t.Errorf("%s: not the plan's value", name)
		}
	}
}

// derived reports whether a request.Target field is not a bake.Target
// attribute but what bake derives when it loads a remote definition
// (json:"-": never printed); TestIntegrationRemoteDefinition covers it.
func derived(f reflect.StructField) bool { return f.Tag.Get("json") == "-" }
