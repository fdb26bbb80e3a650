// Package graph renders a bake plan's targets, their target: edges and
// groups as Graphviz DOT or Mermaid, annotated with the last run's results.
package graph

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/bake"
)

// Node is one target of the graph.
type Node struct {
	Name      string
	Platforms []string
	Deps      []string // targets named by target: contexts, sorted
	Result    *Result  // the last run's, or nil
}

// Graph is a plan's targets and groups.
type Graph struct {
	Nodes  []Node              // by name
	Groups map[string][]string // group → member targets and groups
}

// FromPlan builds the graph of plan; last, when not nil, annotates each
// target with its result in the last run.
func FromPlan(plan *bake.Plan, last *LastRun) Graph {
	g := Graph{Groups: map[string][]string{}}
	for _, name := range slices.Sorted(maps.Keys(plan.Targets)) {
		t := plan.Targets[name]
		n := Node{Name: name, Platforms: t.Platforms}
		for _, v := range t.Contexts {
			if d, ok := strings.CutPrefix(v, "target:"); ok && !slices.Contains(n.Deps, d) {
				n.Deps = append(n.Deps, d)
			}
		}
		slices.Sort(n.Deps)
		if last != nil {
			if r, ok := last.Targets[name]; ok {
				n.Result = &r
			}
		}
		g.Nodes = append(g.Nodes, n)
	}
	for name, grp := range plan.Groups {
		g.Groups[name] = grp.Targets
	}
	return g
}

// label is a node's text: name, platforms, and the last run's status and
// duration.
func (n Node) label(sep string) string {
	parts := []string{n.Name}
	if len(n.Platforms) > 0 {
		parts = append(parts, strings.Join(n.Platforms, ", "))
	}
	if n.Result != nil {
		parts = append(parts, fmt.Sprintf("%s in %.1f s", n.Result.Status, n.Result.Seconds))
	}
	return strings.Join(parts, sep)
}

// WriteDOT writes g as a Graphviz digraph: an edge from each target to the
// targets using it, groups as clusters of dashed edges to their members.
func WriteDOT(w io.Writer, g Graph) error {
	var b strings.Builder
	b.WriteString("digraph bake {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n")
	for _, n := range g.Nodes {
		attrs := fmt.Sprintf("label=%s", dotQuote(n.label("\n")))
		if n.Result != nil {
			attrs += ", style=\"rounded,filled\", fillcolor=" + dotQuote(color(n.Result.Status))
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote("target:"+n.Name), attrs)
	}
	for _, name := range slices.Sorted(maps.Keys(g.Groups)) {
		fmt.Fprintf(&b, "  %s [label=%s, shape=folder];\n", dotQuote("group:"+name), dotQuote(name))
	}
	for _, n := range g.Nodes {
		for _, d := range n.Deps {
			fmt.Fprintf(&b, "  %s -> %s;\n", dotQuote("target:"+d), dotQuote("target:"+n.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(g.Groups)) {
		for _, m := range g.Groups[name] {
			fmt.Fprintf(&b, "  %s -> %s [style=dashed, arrowhead=none];\n", dotQuote("group:"+name), dotQuote(g.member(m)))
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// member is the node id of a group member: a group or a target.
func (g Graph) member(name string) string {
	if _, ok := g.Groups[name]; ok {
		return "group:" + name
	}
	return "target:" + name
}

func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func color(status string) string {
	switch status {
	case "succeeded":
		return "#d4f4d4"
	case "failed":
		return "#f8d0d0"
	default:
		return "#eeeeee"
	}
}

// WriteMermaid writes g as a Mermaid flowchart with the same nodes and
// edges as WriteDOT.
func WriteMermaid(w io.Writer, g Graph) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	id := func(key string) string {
		if v, ok := ids[key]; ok {
			return v
		}
		v := fmt.Sprintf("n%d", len(ids))
		ids[key] = v
		return v
	}
	for _, n := range g.Nodes {
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", id("target:"+n.Name), mermaidText(n.label("<br/>")))
		if n.Result != nil {
			fmt.Fprintf(&b, "  class %s %s\n", id("target:"+n.Name), strings.ReplaceAll(n.Result.Status, " ", "_"))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(g.Groups)) {
		fmt.Fprintf(&b, "  %s[/\"%s\"/]\n", id("group:"+name), mermaidText(name))
	}
	for _, n := range g.Nodes {
		for _, d := range n.Deps {
			fmt.Fprintf(&b, "  %s --> %s\n", id("target:"+d), id("target:"+n.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(g.Groups)) {
		for _, m := range g.Groups[name] {
			fmt.Fprintf(&b, "  %s -.- %s\n", id("group:"+name), id(g.member(m)))
		}
	}
	b.WriteString("  classDef succeeded fill:#d4f4d4\n  classDef failed fill:#f8d0d0\n  classDef aborted fill:#eeeeee\n  classDef not_started fill:#eeeeee\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes a label for a quoted Mermaid node: a quote becomes
// its entity code.
func mermaidText(s string) string { return strings.ReplaceAll(s, `"`, "#quot;") }
