package skip

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-build/kiln/builder/inputs"
	"github.com/kiln-build/kiln/internal/testenv"
)

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// project is a context with a Dockerfile FROM an image of a real
// registry, and an output directory, as one target's spec.
type project struct {
	dir, out, image string
}

func (p *project) spec(t *testing.T, name string) Spec {
	t.Helper()
	ctx := filepath.Join(p.dir, name)
	in, err := inputs.Of(inputs.Solve{Attrs: map[string]string{}, Locals: map[string]string{"context": ctx, "dockerfile": ctx}})
	if err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile(filepath.Join(ctx, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Name: name, Definition: map[string]string{"context": name}, Solve: map[string]string{"context": ctx},
		Inputs: in, Dockerfile: df, Platforms: []string{"linux/amd64"},
		Outputs: []Output{{Kind: KindDir, Path: filepath.Join(p.out, name)}},
	}
}

// build records spec as built, its output directory written first (the
// order kiln keeps: outputs complete, then the record).
func build(t *testing.T, o Options, s Spec, d *Decision) {
	t.Helper()
	write(t, filepath.Join(s.Outputs[0].Path, "result"), "built "+d.Fingerprint)
	c := &Checker{Resolver: o.Resolver, Stat: o.Stat}
	outs, err := c.Capture(context.Background(), s.Outputs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Store.Put(&Record{Target: s.Name, Fingerprint: d.Fingerprint, Outputs: outs}); err != nil {
		t.Fatal(err)
	}
}

func TestEvaluate(t *testing.T) {
	addr := testenv.StartRegistry(t)
	base := addr + "/base:1"
	testenv.PushEmptyImage(t, addr, "base", "1", "first")
	p := &project{dir: t.TempDir(), out: t.TempDir(), image: base}
	write(t, filepath.Join(p.dir, "app", "Dockerfile"), "FROM "+base+"\nCOPY . /\n")
	write(t, filepath.Join(p.dir, "app", "main.go"), "package main\n")
	write(t, filepath.Join(p.dir, "app", ".dockerignore"), "*.log\n")
	write(t, filepath.Join(p.dir, "app", "debug.log"), "x\n")
	o := Options{Store: &Store{Dir: t.TempDir()}, Node: "n1", Versions: map[string]string{"kiln": "test"}}
	eval := func() *Decision {
		o.Resolver = NewResolver() // one per run, as kiln makes one per run
		return Evaluate(t.Context(), []Spec{p.spec(t, "app")}, o)["app"]
	}

	d := eval()
	if d.UpToDate || d.Fingerprint == "" || d.Reason != "not built before" {
		t.Fatalf("first run: %+v", d)
	}
	build(t, o, p.spec(t, "app"), d)
	steps := []struct {
		what     string
		mutate   func()
		upToDate bool
	}{
		{"nothing changed", func() {}, true},
		{"an ignored file edited", func() { write(t, filepath.Join(p.dir, "app", "debug.log"), "y\n") }, true},
		{"a context file edited", func() { write(t, filepath.Join(p.dir, "app", "main.go"), "package main // 2\n") }, false},
		{"the base tag moved", func() { testenv.PushEmptyImage(t, addr, "base", "1", "second") }, false},
		{"the output edited", func() { write(t, filepath.Join(p.out, "app", "result"), "tampered") }, false},
		{"the output deleted", func() { os.RemoveAll(filepath.Join(p.out, "app")) }, false},
		{"a file added to the output", func() { write(t, filepath.Join(p.out, "app", "extra"), "x") }, false},
	}
	for _, s := range steps {
		s.mutate()
		d := eval()
		if d.UpToDate != s.upToDate {
			t.Errorf("%s: up to date = %v, want %v (%s)", s.what, d.UpToDate, s.upToDate, d.Reason)
		}
		if !d.UpToDate {
			if d.Fingerprint == "" {
				t.Fatalf("%s: not verifiable: %s", s.what, d.Reason)
			}
			os.RemoveAll(filepath.Join(p.out, "app"))
			build(t, o, p.spec(t, "app"), d)
			if again := eval(); !again.UpToDate {
				t.Errorf("%s: not up to date right after its build: %s", s.what, again.Reason)
			}
		}
	}

	// --no-skip: out of date, with the fingerprint to record
	o.Rebuild = true
	if d := eval(); d.UpToDate || d.Fingerprint == "" || d.Reason != "--no-skip" {
		t.Errorf("Rebuild: %+v", d)
	}
	o.Rebuild = false

	// a reference that does not resolve: built, and said why
	write(t, filepath.Join(p.dir, "app", "Dockerfile"), "FROM "+addr+"/missing:1\n")
	if d := eval(); d.UpToDate || d.Fingerprint != "" || d.Reason == "" {
		t.Errorf("unresolvable FROM: %+v", d)
	}
}

// A dependency's fingerprint is part of its dependents': changing it
// makes both out of date, and an unverifiable dependency makes its
// dependents unverifiable.
func TestEvaluateDeps(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lib", "Dockerfile"), "FROM scratch\nCOPY . /\n")
	write(t, filepath.Join(dir, "lib", "lib.txt"), "1")
	write(t, filepath.Join(dir, "app", "Dockerfile"), "FROM lib\n")
	o := Options{Store: &Store{Dir: t.TempDir()}, Resolver: NewResolver()}
	specs := func(unverifiable string) []Spec {
		var out []Spec
		for _, name := range []string{"app", "lib"} {
			ctx := filepath.Join(dir, name)
			attrs := map[string]string{}
			if name == "app" {
				attrs["context:lib"] = "target:lib"
			}
			in, err := inputs.Of(inputs.Solve{Attrs: attrs, Locals: map[string]string{"context": ctx, "dockerfile": ctx}})
			if err != nil {
				t.Fatal(err)
			}
			df, _ := os.ReadFile(filepath.Join(ctx, "Dockerfile"))
			s := Spec{Name: name, Definition: name, Solve: name, Inputs: in, Dockerfile: df}
			if name == "lib" {
				s.Unverifiable = unverifiable
			}
			out = append(out, s)
		}
		return out
	}
	first := Evaluate(t.Context(), specs(""), o)
	for _, n := range []string{"app", "lib"} {
		if err := o.Store.Put(&Record{Target: n, Fingerprint: first[n].Fingerprint}); err != nil {
			t.Fatal(err)
		}
	}
	if d := Evaluate(t.Context(), specs(""), o); !d["app"].UpToDate || !d["lib"].UpToDate {
		t.Fatalf("unchanged: app %+v, lib %+v", d["app"], d["lib"])
	}
	write(t, filepath.Join(dir, "lib", "lib.txt"), "2")
	d := Evaluate(t.Context(), specs(""), o)
	if d["app"].UpToDate || d["lib"].UpToDate {
		t.Errorf("lib edited: app up to date %v, lib %v; want both rebuilt", d["app"].UpToDate, d["lib"].UpToDate)
	}
	if d["app"].Fingerprint == first["app"].Fingerprint {
		t.Error("app's fingerprint did not change with its dependency's")
	}
	for _, n := range []string{"app", "lib"} {
		if err := o.Store.Put(&Record{Target: n, Fingerprint: d[n].Fingerprint}); err != nil {
			t.Fatal(err)
		}
	}
	// lib built anyway (no-cache = true on it alone): app uses its new
	// result, so it is built too
	d = Evaluate(t.Context(), specs("--no-cache"), o)
	if d["lib"].UpToDate || !d["lib"].Forced || d["lib"].Reason != "--no-cache" {
		t.Errorf("--no-cache on lib: lib %+v", d["lib"])
	}
	if d["app"].UpToDate || !d["app"].Forced || d["app"].Fingerprint == "" {
		t.Errorf("--no-cache on lib: app %+v; want built anyway, with a fingerprint to record", d["app"])
	}
}
