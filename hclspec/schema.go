package hclspec

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// fromCty and toCty are the conversions a field type may implement itself
// (buildx's util/buildflags types do); they take precedence over gocty.
type fromCty interface {
	FromCtyValue(in cty.Value, p cty.Path) error
}

type toCty interface {
	ToCtyValue() cty.Value
}

var (
	fromCtyType = reflect.TypeFor[fromCty]()
	toCtyType   = reflect.TypeFor[toCty]()
)

// blockType is what reflection learned about one block struct (bake.Target,
// bake.Group): its label field, its attributes and their cty types.
type blockType struct {
	name   string // the block type, e.g. "target"
	field  int    // index of the `hcl:"TYPE,block"` field in the config struct
	goType reflect.Type
	label  int // field index of the `hcl:"name,label"` field
	attrs  []*attrField
	byName map[string]*attrField
	schema *hcl.BodySchema // every attribute optional; required ones checked apart
	// withMeta adds the `matrix` and `name` meta-arguments to schema.
	withMeta *hcl.BodySchema
	noMtx    bool // `matrix` and `name` are rejected on this block type
}

// attrField is one `hcl:"NAME"` or `hcl:"NAME,optional"` field.
type attrField struct {
	pos      int // position in blockType.attrs
	name     string
	ctyName  string
	index    int
	required bool
	custom   bool     // implements FromCtyValue/ToCtyValue on its pointer
	ctyType  cty.Type // gocty's implied type when not custom
	nullType cty.Type // type of a nil custom value
}

var blockTypeCache sync.Map // reflect.Type → *blockType (immutable once built)

// configBlockTypes reads the `hcl:"TYPE,block"` fields of the struct val
// points to and returns each block type, and the types in field order.
func configBlockTypes(val any) (map[string]*blockType, []string, error) {
	rv := reflect.ValueOf(val)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("hclspec: target must be a pointer to a struct, not %T", val)
	}
	st := rv.Elem().Type()
	types := map[string]*blockType{}
	var order []string
	for i := range st.NumField() {
		f := st.Field(i)
		parts := strings.Split(f.Tag.Get("hcl"), ",")
		if len(parts) < 2 || parts[1] != "block" {
			continue
		}
		if f.Type.Kind() != reflect.Slice || f.Type.Elem().Kind() != reflect.Pointer || f.Type.Elem().Elem().Kind() != reflect.Struct {
			return nil, nil, fmt.Errorf("hclspec: field %s must be a slice of pointers to structs", f.Name)
		}
		bt, err := reflectBlockType(f.Type.Elem().Elem())
		if err != nil {
			return nil, nil, err
		}
		cp := *bt // the cached description is shared; name, field and noMtx are per Parse
		cp.name, cp.field = parts[0], i
		types[parts[0]] = &cp
		order = append(order, parts[0])
	}
	return types, order, nil
}

func reflectBlockType(t reflect.Type) (*blockType, error) {
	if v, ok := blockTypeCache.Load(t); ok {
		return v.(*blockType), nil
	}
	bt := &blockType{goType: t, label: -1, byName: map[string]*attrField{}, schema: &hcl.BodySchema{}}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("hcl")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		kind := ""
		if len(parts) > 1 {
			kind = parts[1]
		}
		switch kind {
		case "label":
			bt.label = i
			continue
		case "", "optional":
		default:
			continue // nested blocks, body and remain fields are not decoded from bake files
		}
		af := &attrField{pos: len(bt.attrs), name: parts[0], ctyName: parts[0], index: i, required: kind == ""}
		if c, ok := f.Tag.Lookup("cty"); ok && c != "" && c != "-" {
			af.ctyName = c
		}
		pt := reflect.PointerTo(f.Type)
		if (f.Type.Implements(fromCtyType) || pt.Implements(fromCtyType)) && (f.Type.Implements(toCtyType) || pt.Implements(toCtyType)) {
			af.custom = true
			af.nullType = customNullType(f.Type)
		} else {
			ty, err := gocty.ImpliedType(reflect.Zero(f.Type).Interface())
			if err != nil {
				return nil, fmt.Errorf("hclspec: field %s.%s: %w", t.Name(), f.Name, err)
			}
			af.ctyType = ty
		}
		bt.attrs = append(bt.attrs, af)
		bt.byName[af.name] = af
		bt.schema.Attributes = append(bt.schema.Attributes, hcl.AttributeSchema{Name: af.name})
	}
	bt.withMeta = &hcl.BodySchema{Attributes: append([]hcl.AttributeSchema{}, bt.schema.Attributes...)}
	for _, meta := range []string{"matrix", "name"} {
		if _, ok := bt.byName[meta]; !ok {
			bt.withMeta.Attributes = append(bt.withMeta.Attributes, hcl.AttributeSchema{Name: meta})
		}
	}
	if bt.label < 0 {
		return nil, fmt.Errorf("hclspec: block struct %s has no `hcl:\"name,label\"` field", t.Name())
	}
	v, _ := blockTypeCache.LoadOrStore(t, bt)
	return v.(*blockType), nil
}

// customNullType is the cty type a custom field converts to, found from its
// zero value, as buildx's capsule unwrapping does.
func customNullType(t reflect.Type) (ty cty.Type) {
	defer func() {
		if recover() != nil {
			ty = cty.DynamicPseudoType
		}
	}()
	zero := reflect.Zero(t)
	if c, ok := zero.Interface().(toCty); ok && (t.Kind() != reflect.Pointer) {
		return c.ToCtyValue().Type()
	}
	if t.Kind() != reflect.Pointer {
		zero = reflect.New(t)
	}
	if c, ok := zero.Interface().(toCty); ok {
		return c.ToCtyValue().Type()
	}
	return cty.DynamicPseudoType
}

// decodeValue stores v into field f of the struct sv (addressable).
func (f *attrField) decodeValue(sv reflect.Value, v cty.Value, expr hcl.Expression) hcl.Diagnostics {
	fv := sv.Field(f.index)
	var err error
	switch {
	case f.custom:
		if v.IsNull() {
			fv.Set(reflect.Zero(fv.Type()))
			return nil
		}
		if !v.IsWhollyKnown() {
			err = fmt.Errorf("value must be known")
			break
		}
		nv := reflect.New(fv.Type())
		if fv.Kind() == reflect.Pointer {
			nv.Elem().Set(reflect.New(fv.Type().Elem()))
			err = callFromCty(nv.Elem().Interface().(fromCty), v)
		} else {
			err = callFromCty(nv.Interface().(fromCty), v)
		}
		if err == nil {
			fv.Set(nv.Elem())
		}
	case fastDecode(fv, v):
	default:
		var cv cty.Value
		cv, err = convert.Convert(v, f.ctyType)
		if err == nil {
			nv := reflect.New(fv.Type())
			err = gocty.FromCtyValue(cv, nv.Interface())
			if err == nil {
				fv.Set(nv.Elem())
			}
		}
	}
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unsuitable value type",
			Detail:   "Unsuitable value: " + err.Error(),
			Subject:  expr.StartRange().Ptr(),
			Context:  expr.Range().Ptr(),
		}}
	}
	return nil
}

// encodeValue returns the cty value of field f of the struct sv, as a
// `target.NAME.ATTR` reference sees it.
func (f *attrField) encodeValue(sv reflect.Value) cty.Value {
	fv := sv.Field(f.index)
	if f.custom {
		if fv.Kind() == reflect.Pointer && fv.IsNil() {
			return cty.NullVal(f.nullType)
		}
		c, ok := fv.Interface().(toCty)
		if !ok {
			c = fv.Addr().Interface().(toCty)
		}
		return callToCty(c, f.nullType)
	}
	v, err := gocty.ToCtyValue(fv.Interface(), f.ctyType)
	if err != nil {
		return cty.NullVal(f.ctyType)
	}
	return v
}

// callFromCty and callToCty run a field type's own conversion, turning a
// panic in it into an error (or a null) rather than crashing evaluation.
func callFromCty(c fromCty, v cty.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("conversion failed: %v", r)
		}
	}()
	return c.FromCtyValue(v, nil)
}

func callToCty(c toCty, null cty.Type) (v cty.Value) {
	defer func() {
		if recover() != nil {
			v = cty.NullVal(null)
		}
	}()
	return c.ToCtyValue()
}
