// Package matrix expands a block's `matrix` value into the ordered list of
// combinations it stands for, and evaluates and validates the name each
// combination is given. It knows nothing of files or of what a block builds.
package matrix

import (
	"errors"
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Combination is one point of a matrix: each matrix key bound to one value.
type Combination map[string]cty.Value

// Errors buildx reports, word for word.
var (
	ErrNotMap     = errors.New("matrix must be a map")
	ErrNotList    = errors.New("matrix values must be a list")
	ErrNameNeeded = errors.New("name requires matrix")
	// ErrTooLarge is kiln's: buildx would try to build every combination.
	ErrTooLarge = fmt.Errorf("matrix has more than %d combinations", MaxCombinations)
)

// MaxCombinations bounds one matrix, so that a file cannot ask for more
// combinations than memory holds.
const MaxCombinations = 1 << 20

// Expand returns the cartesian product of a matrix value (a map or object of
// lists or tuples). Keys are taken in sorted order and the first key varies
// fastest; buildx walks a Go map here, so its order is random from run to
// run, and this is one of the orders it produces.
func Expand(v cty.Value) ([]Combination, error) {
	if !v.IsKnown() || v.IsNull() {
		return nil, ErrNotMap
	}
	ty := v.Type()
	if !ty.IsMapType() && !ty.IsObjectType() {
		return nil, ErrNotMap
	}
	m := v.AsValueMap()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	lists := make([][]cty.Value, len(keys))
	total := 1
	for i, k := range keys {
		vals := m[k]
		if !vals.IsKnown() || vals.IsNull() || !vals.CanIterateElements() {
			return nil, ErrNotList
		}
		lists[i] = vals.AsValueSlice()
		if n := len(lists[i]); n > 0 && total > MaxCombinations/n {
			return nil, ErrTooLarge
		}
		total *= len(lists[i])
	}
	// Combination n takes, for key i, element (n / stride_i) % len_i, where
	// the stride of the first key is 1: the first key varies fastest.
	combos := make([]Combination, total)
	for n := range combos {
		c := make(Combination, len(keys))
		stride := 1
		for i, k := range keys {
			c[k] = lists[i][(n/stride)%len(lists[i])]
			stride *= len(lists[i])
		}
		combos[n] = c
	}
	return combos, nil
}

// EvalContext returns a child of parent with the combination's keys bound.
func (c Combination) EvalContext(parent *hcl.EvalContext) *hcl.EvalContext {
	ectx := parent.NewChild()
	ectx.Variables = make(map[string]cty.Value, len(c))
	for k, v := range c {
		ectx.Variables[k] = v
	}
	return ectx
}

// Name evaluates a `name` expression in a combination's context and converts
// the result to a string. Evaluation errors are hcl.Diagnostics pointing at
// the expression; a result that is not a string is a plain error, which
// buildx reports at the block's label.
func Name(expr hcl.Expression, ectx *hcl.EvalContext) (string, error) {
	v, diags := expr.Value(ectx)
	if diags.HasErrors() {
		return "", diags
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", err
	}
	if !s.IsKnown() || s.IsNull() {
		return "", errors.New("name must be a known, non-null string")
	}
	return s.AsString(), nil
}

// CheckUnique reports the first name that appears twice, as buildx does.
func CheckUnique(names []string) error {
	seen := make(map[string]struct{}, len(names))
	for _, n := range names {
		if _, ok := seen[n]; ok {
			return fmt.Errorf("duplicate name %q", n)
		}
		seen[n] = struct{}{}
	}
	return nil
}
