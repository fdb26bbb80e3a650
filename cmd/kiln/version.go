package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	bkversion "github.com/moby/buildkit/version"
)

// version is set at link time (-ldflags "-X main.version=v0.1.0").
var version = "dev"

// buildkitModuleVersion is the version of the BuildKit module linked into kiln.
func buildkitModuleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/moby/buildkit" {
				return d.Version
			}
		}
	}
	return "unknown"
}

// setBuildKitVersion fills BuildKit's version package, which buildkitd's
// link flags fill: kiln links the module instead, so the engine (and
// `buildx inspect` of `kiln engine serve`) would report v0.0.0+unknown.
func setBuildKitVersion() {
	if v := buildkitModuleVersion(); v != "unknown" {
		bkversion.Version = v
	}
}

// newVersionCommand is `kiln version`.
func newVersionCommand() *command {
	c := &command{name: "version", usage: "version", short: "Show the kiln version"}
	c.run = func(ctx context.Context, args []string) error {
		fs := newFlags(c)
		if err := fs.Parse(args); err != nil {
			return err
		}
		bk := buildkitModuleVersion()
		fmt.Printf("kiln %s (BuildKit %s, %s, %s/%s)\n", version, bk, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	}
	return c
}
