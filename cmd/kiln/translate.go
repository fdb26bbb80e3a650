package main

import (
	"context"
	"maps"
	"os"
	"slices"

	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/request"
)

// translatePlan turns every planned target into a solve request, in name
// order; relative paths start from the working directory, as in buildx.
// The Git checkout of each context directory is read once.
func translatePlan(ctx context.Context, plan *bake.Plan) ([]*request.Request, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var reqs []*request.Request
	to := request.Options{
		Dir:       wd,
		LookupEnv: os.LookupEnv,
		ProxyArgs: request.ProxyArgs(os.LookupEnv),
		NodeID:    request.NodeID(os.LookupEnv),
		Git:       request.NewGitInfo(ctx, os.LookupEnv),
	}
	for _, name := range slices.Sorted(maps.Keys(plan.Targets)) {
		r, err := request.Translate(name, requestTarget(plan.Targets[name]), to)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}

// requestTarget is what the builder reads of a planned target: the builder
// does not import bake (nor, through it, HCL and compose-go).
func requestTarget(t *bake.Target) *request.Target {
	return &request.Target{
		Annotations:      t.Annotations,
		Attest:           t.Attest,
		Context:          t.Context,
		Contexts:         t.Contexts,
		Dockerfile:       t.Dockerfile,
		DockerfileInline: t.DockerfileInline,
		Args:             t.Args,
		Labels:           t.Labels,
		Tags:             t.Tags,
		CacheFrom:        t.CacheFrom,
		CacheTo:          t.CacheTo,
		Target:           t.Target,
		Secrets:          t.Secrets,
		SSH:              t.SSHAgents(),
		Platforms:        t.Platforms,
		Outputs:          t.Outputs,
		Pull:             t.Pull,
		NoCache:          t.NoCache,
		NetworkMode:      t.NetworkMode,
		NoCacheFilter:    t.NoCacheFilter,
		ShmSize:          t.ShmSize,
		Ulimits:          t.Ulimits,
		Resources:        t.Resources,
		Call:             t.Call,
		Entitlements:     t.Entitlements,
		ExtraHosts:       t.ExtraHosts,
		Policy:           t.Policy,
		Remote:           remoteParts(t),
	}
}

// remoteParts is what a remote definition's target reads from the
// definition's source; nil for a local definition.
func remoteParts(t *bake.Target) *request.Remote {
	r := &request.Remote{Context: t.ContextState(), Secrets: t.RemoteSecrets()}
	for name := range t.Contexts {
		if nc, ok := t.RemoteNamedContext(name); ok {
			if r.Named == nil {
				r.Named = map[string]request.NamedContext{}
			}
			r.Named[name] = request.NamedContext{State: nc.State, Path: nc.Path}
		}
	}
	if r.Context == nil && r.Secrets == nil && r.Named == nil {
		return nil
	}
	return r
}

// callPlan is what the --call results show of the plan.
func callPlan(plan *bake.Plan) report.CallPlan {
	cp := report.CallPlan{Groups: map[string]any{}, Targets: map[string]any{}, Descriptions: map[string]string{}}
	for name, g := range plan.Groups {
		cp.Groups[name] = g
	}
	for name, t := range plan.Targets {
		cp.Targets[name] = t
		cp.Descriptions[name] = t.Description
	}
	return cp
}
