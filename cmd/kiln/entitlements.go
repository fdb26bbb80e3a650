package main

import (
	"context"
	"os"

	"github.com/containerd/console"
	"github.com/kiln-build/kiln/bake"
)

// checkEntitlements refuses, before any builder is opened, a plan that
// asks for more than --allow grants, as buildx bake does: the working
// directory is granted for reading and writing, a terminal on stdin is
// asked [y/N], anything else fails. It is a client-side check, so it holds
// for the embedded engine and every remote node alike.
func checkEntitlements(ctx context.Context, plan *bake.Plan, o *bakeOptions) error {
	granted, err := bake.ParseAllow(o.allow)
	if err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	granted.FSRead = append(granted.FSRead, wd)
	granted.FSWrite = append(granted.FSWrite, wd)
	need, err := plan.MissingEntitlements(granted)
	if err != nil {
		return err
	}
	_, ttyErr := console.ConsoleFromFile(os.Stdin)
	return need.Prompt(ctx, bake.PromptOptions{
		Out:         os.Stderr,
		Stdin:       os.Stdin,
		Terminal:    ttyErr == nil,
		Interactive: o.progress != "rawjson",
		Args:        os.Args,
		LookupEnv:   os.LookupEnv,
	})
}
