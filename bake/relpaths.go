package bake

import (
	"path/filepath"
	"strings"

	"github.com/docker/buildx/util/osutil"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// pathBases records, per target, the directories of the files that set its
// context and contexts, for BUILDX_BAKE_FILE_RELATIVE_PATHS: relative paths
// then resolve from the file that wrote them, not the working directory.
type pathBases struct {
	defaultBase    string // dir of the file that declared the target last
	hasDefault     bool
	useDefault     bool   // context unset: "." means defaultBase
	contextBase    string // dir of the file that set context
	hasContextBase bool
	contextRef     string            // context = target.NAME.context
	contextsBase   map[string]string // named context → dir of its file
}

// merge folds the bases of a later definition in, as the fields they
// describe are (context only when t2 sets it, contexts key by key).
func (p *pathBases) merge(p2 *pathBases, setsContext bool, contexts map[string]string) {
	if p2.hasDefault {
		p.defaultBase, p.hasDefault, p.useDefault = p2.defaultBase, true, p2.useDefault
	}
	if setsContext {
		p.contextBase, p.hasContextBase, p.contextRef = p2.contextBase, p2.hasContextBase, p2.contextRef
	}
	for k := range contexts {
		if p.contextsBase == nil {
			p.contextsBase = map[string]string{}
		}
		if base, ok := p2.contextsBase[k]; ok {
			p.contextsBase[k] = base
		} else {
			delete(p.contextsBase, k)
		}
	}
}

// localFileDir is the directory of a local bake file ("" for stdin or remote).
func localFileDir(name string) (string, bool) {
	if name == "" || name == "-" || IsRemoteURL(name) {
		return "", false
	}
	return filepath.Dir(name), true
}

func rebaseContextPath(base, p string) string {
	if base == "" || p == "" || isSpecialContextPath(p) || filepath.IsAbs(p) {
		return p
	}
	return osutil.SanitizePath(filepath.Join(base, filepath.FromSlash(p)))
}

func isSpecialContextPath(p string) bool {
	return strings.HasPrefix(p, "cwd://") ||
		strings.HasPrefix(p, "target:") ||
		strings.HasPrefix(p, "docker-image:") ||
		strings.HasPrefix(p, "oci-layout://") ||
		IsRemoteURL(p)
}

// setComposeBases makes the directory of the first compose file the base of
// every compose target.
func setComposeBases(c *Config, files []File) {
	if len(files) == 0 {
		return
	}
	base, ok := localFileDir(files[0].Name)
	if !ok {
		return
	}
	for _, t := range c.Targets {
		t.paths.defaultBase, t.paths.hasDefault = base, true
		if t.Context != nil {
			t.paths.contextBase, t.paths.hasContextBase = base, true
		}
		t.paths.setContexts(base, t.Contexts)
	}
}

func (p *pathBases) setContexts(base string, contexts map[string]string) {
	if len(contexts) == 0 {
		return
	}
	if p.contextsBase == nil {
		p.contextsBase = map[string]string{}
	}
	for k := range contexts {
		p.contextsBase[k] = base
	}
}

// blockBases is what one target block of an HCL file says about paths.
type blockBases struct {
	label       string
	dir         string
	hasContext  bool
	contextExpr hcl.Expression
	contextRef  string
	hasContexts bool
	contextKeys []string // nil when the keys are computed
}

var pathAttrsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "context"}, {Name: "contexts"}, {Name: "matrix"}, {Name: "name"}},
}

var targetBlocksSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "target", LabelNames: []string{"name"}}},
}

// targetBlockBases lists the target blocks of a parsed file in order.
func targetBlockBases(f *hcl.File) []blockBases {
	content, _, _ := f.Body.PartialContent(targetBlocksSchema)
	if content == nil {
		return nil
	}
	var out []blockBases
	for _, b := range content.Blocks {
		if len(b.Labels) != 1 {
			continue
		}
		dir, _ := localFileDir(b.DefRange.Filename)
		bb := blockBases{label: b.Labels[0], dir: dir}
		attrs, _, diags := b.Body.PartialContent(pathAttrsSchema)
		if diags.HasErrors() || attrs == nil {
			out = append(out, bb)
			continue
		}
		if a, ok := attrs.Attributes["context"]; ok {
			bb.hasContext = true
			bb.contextExpr = a.Expr
			bb.contextRef = targetContextRef(a.Expr)
		}
		if a, ok := attrs.Attributes["contexts"]; ok {
			bb.hasContexts = true
			bb.contextKeys = staticKeys(a.Expr)
		}
		out = append(out, bb)
	}
	return out
}

// applyBlockBases sets the bases of the HCL targets of c from their blocks,
// in file order, as if each block's value had been merged in turn.
func applyBlockBases(r *resolver, blocks []blockBases, renamed map[string][]string) {
	for _, bb := range blocks {
		names := dedupStrings(renamed[bb.label])
		if len(names) == 0 {
			names = []string{bb.label}
		}
		for _, name := range names {
			t := r.target(name)
			if t == nil {
				continue
			}
			p := &t.paths
			p.defaultBase, p.hasDefault, p.useDefault = bb.dir, true, false
			if bb.hasContext && t.Context != nil && bb.setsContext(r) {
				p.contextBase, p.hasContextBase, p.contextRef = bb.dir, true, bb.contextRef
			}
			if bb.hasContexts {
				if bb.contextKeys == nil {
					p.setContexts(bb.dir, t.Contexts)
				} else {
					p.setContexts(bb.dir, keysOf(bb.contextKeys))
				}
			}
		}
	}
}

// setsContext guesses whether the block's context evaluated to a value (a
// null context leaves the base of an earlier block in place): a constant is
// checked, target.X.context is taken to be X's context, anything else is
// assumed set. (hclspec does not report per-block values.)
func (bb blockBases) setsContext(r *resolver) bool {
	if len(bb.contextExpr.Variables()) == 0 {
		v, diags := bb.contextExpr.Value(nil)
		return diags.HasErrors() || !v.IsNull()
	}
	if bb.contextRef != "" {
		if ref := r.target(bb.contextRef); ref != nil {
			return ref.Context != nil
		}
	}
	return true
}

// staticKeys returns the keys of an object expression whose keys are
// constants, or nil.
func staticKeys(expr hcl.Expression) []string {
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		return nil
	}
	keys := []string{}
	for _, kv := range pairs {
		k, diags := kv.Key.Value(nil)
		if diags.HasErrors() || k.IsNull() || !k.IsKnown() {
			return nil
		}
		ks, err := convert.Convert(k, cty.String)
		if err != nil {
			return nil
		}
		keys = append(keys, ks.AsString())
	}
	return keys
}

func keysOf(keys []string) map[string]string {
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = ""
	}
	return m
}

// rebaseContextPaths resolves relative context paths of every target from
// the file that set them; a context copied from `target.X.context` takes
// X's base.
func rebaseContextPaths(c *Config) {
	r := c.resolver()
	for _, t := range c.Targets {
		if ref := r.target(t.paths.contextRef); ref != nil && t.paths.contextRef != "" {
			switch {
			case ref.paths.hasContextBase:
				t.paths.contextBase, t.paths.hasContextBase = ref.paths.contextBase, true
			case ref.paths.hasDefault:
				t.paths.contextBase, t.paths.hasContextBase = ref.paths.defaultBase, true
			}
		}
		if t.Context != nil {
			if t.paths.hasContextBase {
				p := rebaseContextPath(t.paths.contextBase, *t.Context)
				t.Context = &p
			}
		} else if t.paths.hasDefault {
			t.paths.useDefault = true
		}
		for k, v := range t.Contexts {
			if base, ok := t.paths.contextsBase[k]; ok {
				t.Contexts[k] = rebaseContextPath(base, v)
			}
		}
	}
}

// targetContextRef returns NAME when expr is exactly target.NAME.context.
func targetContextRef(expr hcl.Expression) string {
	traversal, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || len(traversal) != 3 {
		return ""
	}
	root, ok := traversal[0].(hcl.TraverseRoot)
	if !ok || root.Name != "target" {
		return ""
	}
	var name string
	switch step := traversal[1].(type) {
	case hcl.TraverseAttr:
		name = step.Name
	case hcl.TraverseIndex:
		key, err := convert.Convert(step.Key, cty.String)
		if err != nil || key.IsNull() || !key.IsKnown() {
			return ""
		}
		name = key.AsString()
	default:
		return ""
	}
	field, ok := traversal[2].(hcl.TraverseAttr)
	if !ok || field.Name != "context" {
		return ""
	}
	return name
}
