package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time (-ldflags "-X main.version=v0.1.0").
var version = "dev"

func init() {
	c := &command{name: "version", usage: "version", short: "Show the kiln version"}
	c.run = func(ctx context.Context, args []string) error {
		fs := newFlags(c)
		if err := fs.Parse(args); err != nil {
			return err
		}
		bk := "unknown"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, d := range bi.Deps {
				if d.Path == "github.com/moby/buildkit" {
					bk = d.Version
				}
			}
		}
		fmt.Printf("kiln %s (BuildKit %s, %s, %s/%s)\n", version, bk, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	}
	register(c)
}
