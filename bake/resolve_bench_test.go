package bake

import (
	"fmt"
	"testing"
)

// benchConfig is n targets inheriting a common one, in groups of six under
// a default group, the shape of bench/gen's file after evaluation.
func benchConfig(n int) Config {
	c := Config{Targets: []*Target{{Name: "common", Context: strp("."), Args: map[string]*string{"VERSION": strp("1")}}}}
	def := &Group{Name: "default"}
	for i := range n / 6 {
		g := &Group{Name: fmt.Sprintf("svc%d", i)}
		for j := range 6 {
			name := fmt.Sprintf("svc%d-%d", i, j)
			c.Targets = append(c.Targets, &Target{Name: name, Inherits: []string{"common"}, Tags: []string{"r/" + name}, Platforms: []string{"linux/amd64"}})
			g.Targets = append(g.Targets, name)
		}
		c.Groups = append(c.Groups, g)
		def.Targets = append(def.Targets, g.Name)
	}
	c.Groups = append(c.Groups, def)
	return c
}

// 6,000 and 12,000 targets, as bench/run.sh: ns/op should double, not
// quadruple (name lookups are indexed).
func BenchmarkResolvePlan6000(b *testing.B)  { benchmarkResolvePlan(b, 6000) }
func BenchmarkResolvePlan12000(b *testing.B) { benchmarkResolvePlan(b, 12000) }

func benchmarkResolvePlan(b *testing.B, n int) {
	c := benchConfig(n)
	b.ReportAllocs()
	for b.Loop() {
		p, err := c.ResolvePlan(nil, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Targets) != n {
			b.Fatalf("got %d targets", len(p.Targets))
		}
	}
}
