package bake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kiln-build/kiln/hclspec"
	"github.com/tonistiigi/go-csvvalue"
)

// ListRequest is a parsed --list value: "targets", "variables", or
// "type=targets|variables[,format=table|json]".
type ListRequest struct {
	Type   string
	Format string
}

// ParseList parses a --list value with buildx's rules and errors.
func ParseList(input string) (ListRequest, error) {
	res := ListRequest{}
	fields, err := csvvalue.Fields(input, nil)
	if err != nil {
		return res, err
	}
	if len(fields) == 1 && fields[0] == input && !strings.HasPrefix(input, "type=") {
		res.Type = input
	}
	if res.Type == "" {
		for _, field := range fields {
			key, value, ok := strings.Cut(field, "=")
			if !ok {
				return res, fmt.Errorf("invalid value %s", field)
			}
			key = strings.TrimSpace(strings.ToLower(key))
			switch key {
			case "type":
				res.Type = value
			case "format":
				res.Format = value
			default:
				return res, fmt.Errorf("unexpected key '%s' in '%s'", key, field)
			}
		}
	}
	if res.Format == "" {
		res.Format = "table"
	}
	switch res.Type {
	case "targets", "variables":
	default:
		return res, fmt.Errorf("invalid list type %q", res.Type)
	}
	switch res.Format {
	case "table", "json":
	default:
		return res, fmt.Errorf("invalid list format %q", res.Format)
	}
	return res, nil
}

// WriteTargetList prints the targets and groups of c sorted by name, without
// the private ones (a leading "_"), as a table or JSON. A group's
// description lists its members.
func WriteTargetList(w io.Writer, format string, c *Config) error {
	type entry struct {
		name   string
		target *Target
		group  *Group
	}
	list := make([]entry, 0, len(c.Targets)+len(c.Groups))
	for _, t := range c.Targets {
		list = append(list, entry{name: t.Name, target: t})
	}
	for _, g := range c.Groups {
		list = append(list, entry{name: g.Name, group: g})
	}
	// unstable like buildx's: a group and a target of the same name come out
	// in the order buildx's (deterministic) sort puts them
	slices.SortFunc(list, func(a, b entry) int { return cmp.Compare(a.name, b.name) })

	var tw *tabwriter.Writer
	if format == "table" {
		tw = tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)
		defer tw.Flush()
		fmt.Fprint(tw, "TARGET\tDESCRIPTION\n")
	}
	type jsonEntry struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		Group       bool   `json:"group,omitempty"`
	}
	var out []jsonEntry
	for _, e := range list {
		if strings.HasPrefix(e.name, "_") {
			continue
		}
		var descr string
		if e.target != nil {
			descr = e.target.Description
			out = append(out, jsonEntry{Name: e.name, Description: descr})
		} else {
			descr = e.group.Description
			if len(e.group.Targets) > 0 {
				members := slices.Sorted(slices.Values(e.group.Targets))
				names := strings.Join(members, ", ")
				if descr != "" {
					descr += " (" + names + ")"
				} else {
					descr = names
				}
			}
			out = append(out, jsonEntry{Name: e.name, Description: descr, Group: true})
		}
		if tw != nil {
			fmt.Fprintf(tw, "%s\t%s\n", e.name, descr)
		}
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return nil
}

// WriteVariableList prints the declared variables sorted by name, as a
// table (null values as <null>) or JSON.
func WriteVariableList(w io.Writer, format string, vars []*hclspec.Variable) error {
	vars = slices.Clone(vars)
	slices.SortFunc(vars, func(a, b *hclspec.Variable) int { return cmp.Compare(a.Name, b.Name) })
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(vars)
	}
	tw := tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)
	defer tw.Flush()
	fmt.Fprint(tw, "VARIABLE\tTYPE\tVALUE\tDESCRIPTION\n")
	for _, v := range vars {
		value := "<null>"
		if v.Value != nil {
			value = *v.Value
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Type, value, v.Description)
	}
	return nil
}
