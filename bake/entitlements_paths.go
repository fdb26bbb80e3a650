package bake

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/docker/buildx/util/osutil"
)

// findMissingPaths returns the paths, resolved to their deepest existing
// ancestor through symlinks, that no granted path covers (buildx's
// findMissingPaths); a granted "*" covers everything.
func findMissingPaths(granted []string, paths map[string]struct{}) ([]string, error) {
	granted, any, err := evaluateGranted(granted)
	if err != nil || any {
		return nil, err
	}
	resolved := map[string]struct{}{}
	for p := range paths {
		v, _, err := osutil.EvaluateToExistingPath(p)
		if err != nil {
			return nil, fmt.Errorf("failed to evaluate path %q: %w", p, err)
		}
		resolved[v] = struct{}{}
	}
	var out []string
next:
	for _, p := range dedupPaths(resolved) {
		for _, g := range granted {
			if isParentOrEqualPath(p, g) {
				continue next
			}
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// evaluateGranted resolves granted paths as buildx does: absolute, the
// existing part through symlinks, the missing rest appended as written.
func evaluateGranted(in []string) ([]string, bool, error) {
	out := make([]string, 0, len(in))
	any := false
	for _, p := range in {
		if p == "*" {
			any = true
			continue
		}
		v, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		v, rest, err := osutil.EvaluateToExistingPath(v)
		if err != nil {
			return nil, false, fmt.Errorf("failed to evaluate path %q: %w", p, err)
		}
		if rest != "" {
			v = filepath.Join(v, rest)
		}
		out = append(out, v)
	}
	return out, any, nil
}

// dedupPaths drops the paths that lie under another one of the set.
func dedupPaths(in map[string]struct{}) []string {
	arr := make([]string, 0, len(in))
	for p := range in {
		arr = append(arr, filepath.Clean(p))
	}
	slices.SortFunc(arr, func(a, b string) int { return cmp.Compare(len(a), len(b)) })
	var out []string
next:
	for _, p := range arr {
		for _, parent := range out {
			if strings.HasPrefix(p, parent+string(filepath.Separator)) {
				continue next
			}
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func isParentOrEqualPath(p, parent string) bool {
	if p == parent || parent == "/" {
		return true
	}
	if !strings.HasSuffix(parent, string(filepath.Separator)) {
		parent += string(filepath.Separator)
	}
	return strings.HasPrefix(p, parent)
}

// toRelativePaths shows paths relative to wd when they are at most one
// level above it, as buildx's message does.
func toRelativePaths(in []string, wd string) []string {
	out := make([]string, 0, len(in))
	for _, p := range in {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, ".."+string(filepath.Separator)+"..") {
			out = append(out, rel)
			continue
		}
		out = append(out, p)
	}
	return out
}

// groupSamePaths splits read and write paths into read-only, write-only
// and both (which buildx asks for as fs=PATH).
func groupSamePaths(ro, rw []string) (readOnly, writeOnly, both []string) {
	if ro == nil || rw == nil {
		return ro, rw, nil
	}
	for _, p := range ro {
		if slices.Contains(rw, p) {
			both = append(both, p)
		} else {
			readOnly = append(readOnly, p)
		}
	}
	for _, p := range rw {
		if !slices.Contains(both, p) {
			writeOnly = append(writeOnly, p)
		}
	}
	return readOnly, writeOnly, both
}
