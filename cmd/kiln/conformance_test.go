package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConformance runs the public bake files of ../shared/conformance/cases
// (see its README) and compares kiln's --print with buildx's expected.json;
// a case without expected.json must be rejected.
func TestConformance(t *testing.T) {
	root, err := filepath.Abs("../../../shared/conformance/cases")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no conformance cases at %s (CI has them beside the clone): %v", root, err)
	}
	dirs, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	startDay := time.Now().UTC().Format(time.DateOnly)
	passed := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		ok := t.Run(filepath.Base(dir), func(t *testing.T) {
			env := []string{
				"PATH=" + os.Getenv("PATH"), "HOME=" + home,
				"BUILDX_CONFIG=" + home + "/.buildx", "DOCKER_CONFIG=" + home + "/.docker",
				"BUILDX_BAKE_ENTITLEMENTS_FS=0",
			}
			env = append(env, goldenLines(t, filepath.Join(dir, "env"))...)
			flags, targets := splitConformanceArgs(goldenLines(t, filepath.Join(dir, "args")))
			if len(targets) == 0 && goldenExists(filepath.Join(dir, "expand-targets")) {
				targets = listedTargets(t, dir, flags, env)
			}
			c := bakeCase{dir: dir, args: append(append(flags, "--print"), targets...), env: env}
			got, err := runBakeCase(t, c)
			want := filepath.Join(dir, "expected.json")
			if !goldenExists(want) {
				if err == nil {
					t.Fatalf("buildx rejects this case, kiln printed:\n%s", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("buildx accepts this case, kiln failed: %v", err)
			}
			compareJSON(t, maskRunDay(goldenReadFile(t, want), conformanceDay), maskRunDay(got, startDay, time.Now().UTC().Format(time.DateOnly)))
		})
		if ok {
			passed++
		}
	}
	t.Logf("%d/%d conformance cases match buildx", passed, len(dirs))
}

// conformanceDay is the day buildx printed the cases' expected.json
// (../shared/conformance/README.md). A date-only stamp such as
// formattimestamp("YYYY-MM-DD", timestamp()) shows that day in expected.json
// and the day of the run in kiln's output; the full-stamp masks of
// normalizeDefinition do not cover it.
const conformanceDay = "2026-11-28"

// maskRunDay replaces each of days (a UTC date, YYYY-MM-DD) in s by <date>,
// after the full stamps (normalizeDefinition's masks), so a stamp of the day a definition was printed compares equal whichever
// day that was; every other date is still compared as written.
func maskRunDay(s string, days ...string) string {
	s = timestampShape.ReplaceAllString(s, "<time>")
	s = compactTimestampShape.ReplaceAllString(s, "<time>")
	for _, d := range days {
		s = strings.ReplaceAll(s, d, "<date>")
	}
	return s
}

// splitConformanceArgs separates flags (with their values) from target names
// the way bakediff.py does.
func splitConformanceArgs(args []string) (flags, targets []string) {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-f" || a == "--set" || a == "--var":
			flags = append(flags, args[i:min(i+2, len(args))]...)
			i++
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
		default:
			targets = append(targets, a)
		}
	}
	return flags, targets
}

// listedTargets names every target and group, as `--list type=targets,format=json`.
func listedTargets(t *testing.T, dir string, flags, env []string) []string {
	t.Helper()
	o, err := parseBakeFlags(&command{name: "bake"}, append(flags, "--list", "type=targets,format=json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var out bytes.Buffer
	if err := writeList(context.Background(), o, bakeIO{stdin: &bytes.Buffer{}, stdout: &out, env: env}); err != nil {
		return nil
	}
	var list []struct{ Name string }
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name)
	}
	return names
}
