package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/docker/buildx/util/urlutil"
	"github.com/kiln-build/kiln/bake"
	"github.com/tonistiigi/go-csvvalue"
)

// loadOptions maps the bake flags onto bake.LoadOptions.
func loadOptions(o *bakeOptions) (bake.LoadOptions, error) {
	if err := checkJobs(o.jobs); err != nil {
		return bake.LoadOptions{}, err
	}
	if len(o.targets) > 0 && urlutil.IsRemoteURL(o.targets[0]) {
		return bake.LoadOptions{}, fmt.Errorf("remote bake definition %s: kiln reads local files only", o.targets[0])
	}
	return bake.LoadOptions{
		Files:      o.files,
		Stdin:      os.Stdin,
		Targets:    o.targets,
		Overrides:  o.overrides,
		Vars:       o.vars,
		Push:       o.push,
		Load:       o.load,
		Call:       o.call,
		NoCache:    o.noCache,
		Pull:       o.pull,
		SBOM:       o.sbom,
		Provenance: o.provenance,
		Policy:     o.policy,
		Allow:      o.allow,
	}, nil
}

// printDefinition implements --print: the resolved plan as buildx prints it.
func printDefinition(ctx context.Context, o *bakeOptions) error {
	lo, err := loadOptions(o)
	if err != nil {
		return err
	}
	plan, _, err := bake.Load(ctx, lo)
	if err != nil {
		return err
	}
	dt, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(dt))
	return err
}

// listDefinition implements --list targets|variables (table or JSON).
func listDefinition(ctx context.Context, o *bakeOptions) error {
	if o.print {
		return errors.New("--print and --list are mutually exclusive")
	}
	lo, err := loadOptions(o)
	if err != nil {
		return err
	}
	// buildx validates these before reading files, even when listing.
	if _, _, err := bake.FlagOverrides(lo); err != nil {
		return err
	}
	cfg, meta, err := bake.LoadConfig(ctx, lo)
	if err != nil {
		return err
	}
	req, err := bake.ParseList(o.list)
	if err != nil {
		return err
	}
	if req.Type == "variables" {
		return bake.WriteVariableList(os.Stdout, req.Format, meta.Variables)
	}
	return bake.WriteTargetList(os.Stdout, req.Format, cfg)
}

// checkJobs validates --jobs ("N" or "mode[,parallel=N]") as buildx does.
func checkJobs(value string) error {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil
	}
	if _, err := strconv.Atoi(value); err == nil {
		value = "parallel=" + value
	}
	fields, err := csvvalue.Fields(value, nil)
	if err != nil {
		return fmt.Errorf("invalid jobs option: %w", err)
	}
	seen := map[string]bool{}
	for _, field := range fields {
		key, val, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			key, val = "mode", key
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		if seen[key] {
			return fmt.Errorf("duplicate jobs option %q", key)
		}
		seen[key] = true
		switch key {
		case "mode":
			switch val {
			case "fail-fast", "defer-output", "defer-error":
			default:
				return fmt.Errorf("invalid jobs mode %q", val)
			}
		case "parallel":
			if n, err := strconv.Atoi(val); err != nil || n < 0 {
				return fmt.Errorf("invalid jobs parallel value %q: must be a non-negative integer", val)
			}
		default:
			return fmt.Errorf("unknown jobs option %q", key)
		}
	}
	return nil
}
