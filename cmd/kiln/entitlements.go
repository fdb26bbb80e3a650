package main

import (
	"context"
	"io"
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
	_, ttyErr := console.ConsoleFromFile(os.Stdin)
	return promptEntitlements(ctx, plan, o, os.Stderr, os.Args, ttyErr == nil)
}

// promptEntitlements is checkEntitlements with its terminal made explicit.
func promptEntitlements(ctx context.Context, plan *bake.Plan, o *bakeOptions, out io.Writer, args []string, terminal bool) error {
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
	return need.Prompt(ctx, bake.PromptOptions{
		Out:         out,
		Stdin:       os.Stdin,
		Terminal:    terminal,
		Interactive: o.progress != "rawjson",
		Args:        args,
		LookupEnv:   os.LookupEnv,
		Remote:      o.remoteURL != "",
	})
}
