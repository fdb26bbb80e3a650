package skip

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/inputs"
)

// BenchmarkEvaluate is the skip check of one up-to-date target whose
// context is the monorepo tree (2,000 files, 100 MB): list the
// context after .dockerignore, hash it, parse the Dockerfile, read the
// record and verify the output directory. "warm" is a new kiln process
// on an unchanged tree: the stat cache loaded from its file (so files are
// stat-ed, not read); "cold" reads every file.
func BenchmarkEvaluate(b *testing.B) {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 50<<10)
	const n = 2000
	for i := range n {
		p := filepath.Join(dir, "ctx", fmt.Sprintf("svc%02d", i%20), fmt.Sprintf("f%04d.dat", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		old := time.Now().Add(-time.Hour) // not racily clean: the cache keeps it
		os.Chtimes(p, old, old)
	}
	ctxDir := filepath.Join(dir, "ctx")
	df := []byte("FROM scratch\nCOPY . /\n")
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), df, 0o644)
	out := filepath.Join(dir, "out")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "result"), []byte("x"), 0o644)
	in, err := inputs.Of(inputs.Solve{Attrs: map[string]string{}, Locals: map[string]string{"context": ctxDir, "dockerfile": ctxDir}})
	if err != nil {
		b.Fatal(err)
	}
	spec := Spec{Name: "app", Definition: "app", Solve: "app", Inputs: in, Dockerfile: df, Outputs: []Output{{Kind: KindDir, Path: out}}}
	store := &Store{Dir: filepath.Join(dir, "state")}
	statPath := filepath.Join(dir, "state", "stat.cache")
	ctx := context.Background()
	stat := &inputs.StatCache{}
	d := Evaluate(ctx, []Spec{spec}, Options{Store: store, Stat: stat, Resolver: NewResolver()})["app"]
	outs, err := (&Checker{Stat: stat}).Capture(ctx, spec.Outputs, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := store.Put(&Record{Target: "app", Fingerprint: d.Fingerprint, Outputs: outs}); err != nil {
		b.Fatal(err)
	}
	if err := stat.Save(statPath); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, warm bool) {
		for b.Loop() {
			st := &inputs.StatCache{}
			if warm {
				if err := st.Load(statPath); err != nil {
					b.Fatal(err)
				}
			}
			if d := Evaluate(ctx, []Spec{spec}, Options{Store: store, Stat: st, Resolver: NewResolver()})["app"]; !d.UpToDate {
				b.Fatalf("not up to date: %s", d.Reason)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/(n/1000), "ms/1000files")
	}
	b.Run("warm", func(b *testing.B) { run(b, true) })
	b.Run("cold", func(b *testing.B) { run(b, false) })
}
