package hclspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// mergedBody is the files' bodies read as one, like hcl.MergeFiles except
// that, as in buildx, an attribute set in several files takes the value of
// the last one (a "Duplicate argument" diagnostic is still produced, and the
// callers filter it out where buildx does).
type mergedBody []hcl.Body

func mergeFiles(files []*hcl.File) mergedBody {
	bodies := make(mergedBody, 0, len(files))
	for _, f := range files {
		bodies = append(bodies, f.Body)
	}
	return bodies
}

func (mb mergedBody) Content(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	content, _, diags := mb.content(schema, false)
	return content, diags
}

func (mb mergedBody) PartialContent(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	return mb.content(schema, true)
}

func (mb mergedBody) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	attrs := hcl.Attributes{}
	var diags hcl.Diagnostics
	for _, body := range mb {
		these, d := body.JustAttributes()
		diags = append(diags, d...)
		for name, attr := range these {
			if prev := attrs[name]; prev != nil {
				diags = append(diags, duplicateArgument(name, prev, attr))
			}
			attrs[name] = attr
		}
	}
	return attrs, diags
}

func (mb mergedBody) MissingItemRange() hcl.Range {
	if len(mb) == 0 {
		return hcl.Range{Filename: "<empty>"}
	}
	return mb[0].MissingItemRange()
}

func (mb mergedBody) content(schema *hcl.BodySchema, partial bool) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	// Any one body may set a required attribute, so each is read with all
	// attributes optional and required ones are checked at the end.
	each := &hcl.BodySchema{Blocks: schema.Blocks}
	for _, a := range schema.Attributes {
		a.Required = false
		each.Attributes = append(each.Attributes, a)
	}
	content := &hcl.BodyContent{Attributes: hcl.Attributes{}}
	var (
		leftovers mergedBody
		diags     hcl.Diagnostics
	)
	for _, body := range mb {
		var (
			c    *hcl.BodyContent
			rest hcl.Body
			d    hcl.Diagnostics
		)
		if partial {
			c, rest, d = body.PartialContent(each)
		} else {
			c, d = body.Content(each)
		}
		diags = append(diags, d...)
		if rest != nil {
			leftovers = append(leftovers, rest)
		}
		for name, attr := range c.Attributes {
			if prev := content.Attributes[name]; prev != nil {
				diags = append(diags, duplicateArgument(name, prev, attr))
			}
			content.Attributes[name] = attr
		}
		content.Blocks = append(content.Blocks, c.Blocks...)
	}
	for _, a := range schema.Attributes {
		if a.Required && content.Attributes[a.Name] == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing required argument",
				Detail:   fmt.Sprintf("The argument %q is required, but was not set.", a.Name),
			})
		}
	}
	return content, leftovers, diags
}

// duplicateArg is the Extra of a duplicateArgument diagnostic: the name set
// again, for callers that drop the diagnostic where buildx ignores it.
type duplicateArg string

func duplicateArgument(name string, prev, attr *hcl.Attribute) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Extra:    duplicateArg(name),
		Severity: hcl.DiagError,
		Summary:  "Duplicate argument",
		Detail:   fmt.Sprintf("Argument %q was already set at %s", name, prev.NameRange.String()),
		Subject:  attr.NameRange.Ptr(),
	}
}
