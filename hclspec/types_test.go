package hclspec

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// testConfig mirrors bake.Config so hclspec's tests depend on neither bake
// nor buildx (whose dependencies would also slow fuzzing to a crawl). The
// field types cover what bake.Target uses, including types that convert
// themselves like buildx's util/buildflags ones.
type testConfig struct {
	Groups  []*testGroup  `json:"group" hcl:"group,block" cty:"group"`
	Targets []*testTarget `json:"target" hcl:"target,block" cty:"target"`
}

type testGroup struct {
	Name        string   `json:"-" hcl:"name,label" cty:"name"`
	Description string   `json:"description,omitempty" hcl:"description,optional" cty:"description"`
	Targets     []string `json:"targets" hcl:"targets" cty:"targets"`
}

type testTarget struct {
	Name        string             `json:"-" hcl:"name,label" cty:"name"`
	Description string             `json:"description,omitempty" hcl:"description,optional" cty:"description"`
	Inherits    []string           `json:"inherits,omitempty" hcl:"inherits,optional" cty:"inherits"`
	Context     *string            `json:"context,omitempty" hcl:"context,optional" cty:"context"`
	Dockerfile  *string            `json:"dockerfile,omitempty" hcl:"dockerfile,optional" cty:"dockerfile"`
	Args        map[string]*string `json:"args,omitempty" hcl:"args,optional" cty:"args"`
	Contexts    map[string]string  `json:"contexts,omitempty" hcl:"contexts,optional" cty:"contexts"`
	Tags        []string           `json:"tags,omitempty" hcl:"tags,optional" cty:"tags"`
	Platforms   []string           `json:"platforms,omitempty" hcl:"platforms,optional" cty:"platforms"`
	CacheFrom   testEntries        `json:"cache-from,omitempty" hcl:"cache-from,optional" cty:"cache-from"`
	Outputs     testEntries        `json:"output,omitempty" hcl:"output,optional" cty:"output"`
	Pull        *bool              `json:"pull,omitempty" hcl:"pull,optional" cty:"pull"`
	Resources   *testResources     `json:"resources,omitempty" hcl:"resources,optional" cty:"resources"`
}

// testEntries converts like buildflags.CacheOptions: each element is a
// "k=v,k=v" string or an object, and references see a list of string maps.
type testEntries []map[string]string

var entryType = cty.Map(cty.String)

func (e *testEntries) FromCtyValue(in cty.Value, p cty.Path) error {
	if !in.Type().IsListType() && !in.Type().IsTupleType() {
		return p.NewErrorf("%s", convert.MismatchMessage(in.Type(), cty.List(entryType)))
	}
	*e = testEntries{}
	for it := in.ElementIterator(); it.Next(); {
		_, v := it.Element()
		m := map[string]string{}
		if v.Type() == cty.String {
			for _, kv := range strings.Split(v.AsString(), ",") {
				k, val, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("invalid value %s", kv)
				}
				m[k] = val
			}
		} else {
			mv, err := convert.Convert(v, entryType)
			if err != nil {
				return err
			}
			for k, s := range mv.AsValueMap() {
				m[k] = s.AsString()
			}
		}
		*e = append(*e, m)
	}
	return nil
}

func (e testEntries) ToCtyValue() cty.Value {
	if len(e) == 0 {
		return cty.ListValEmpty(entryType)
	}
	var vals []cty.Value
	for _, m := range e {
		vm := map[string]cty.Value{}
		for k, v := range m {
			vm[k] = cty.StringVal(v)
		}
		if len(vm) == 0 {
			vals = append(vals, cty.MapValEmpty(cty.String))
			continue
		}
		vals = append(vals, cty.MapVal(vm))
	}
	return cty.ListVal(vals)
}

// testResources converts like *buildflags.ResourcesConfig: a pointer to a
// struct read from an object.
type testResources struct {
	Memory string `json:"memory"`
}

var resourcesType = cty.Object(map[string]cty.Type{"memory": cty.String})

func (r *testResources) FromCtyValue(in cty.Value, p cty.Path) error {
	v, err := convert.Convert(in, resourcesType)
	if err != nil {
		return p.NewError(err)
	}
	r.Memory = v.GetAttr("memory").AsString()
	return nil
}

func (r *testResources) ToCtyValue() cty.Value {
	if r == nil {
		return cty.NullVal(resourcesType)
	}
	return cty.ObjectVal(map[string]cty.Value{"memory": cty.StringVal(r.Memory)})
}
