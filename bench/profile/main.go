// Command profile runs what `kiln bake --print` runs (bake.Load, then the
// JSON) on a bake file with a CPU profile, to see where the time goes; with
// -hclspec it runs only hclspec.Parse into a bake.Config.
//
//	go run ./bench/profile -f /tmp/docker-bake.hcl -cpuprofile /tmp/cpu.out
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/pprof"
	"time"

	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/hclspec"
)

func main() {
	file := flag.String("f", "docker-bake.hcl", "bake file")
	cpu := flag.String("cpuprofile", "", "write a CPU profile here")
	n := flag.Int("n", 1, "repetitions")
	only := flag.Bool("hclspec", false, "run hclspec.Parse only")
	flag.Parse()
	data, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	for range *n {
		start := time.Now()
		if *only {
			var c bake.Config
			if _, diags := hclspec.Parse([]hclspec.File{{Name: *file, Data: data}}, hclspec.Options{}, &c); diags.HasErrors() {
				log.Fatal(diags)
			}
			fmt.Fprintf(os.Stderr, "hclspec.Parse %v (%d targets)\n", time.Since(start), len(c.Targets))
			continue
		}
		plan, _, err := bake.Load(context.Background(), bake.LoadOptions{Files: []string{*file}, Env: []string{}})
		if err != nil {
			log.Fatal(err)
		}
		loaded := time.Since(start)
		dt, err := plan.MarshalIndent()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintln(io.Discard, string(dt))
		fmt.Fprintf(os.Stderr, "load %v, total %v\n", loaded, time.Since(start))
	}
}
