package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// bakeCase is one folder of bake files with the arguments to run and the
// environment to run them in.
type bakeCase struct {
	dir  string
	args []string
	env  []string
}

func goldenLines(t *testing.T, path string) []string {
	t.Helper()
	dt, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(dt), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// runBakeCase runs `kiln bake ARGS` in the case folder, in-process, and
// returns what it printed.
func runBakeCase(t *testing.T, c bakeCase) (string, error) {
	t.Helper()
	o, err := parseBakeFlags(&command{name: "bake"}, c.args)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(abs)
	var stdin bytes.Buffer
	if dt, err := os.ReadFile("stdin"); err == nil {
		stdin.Write(dt)
	}
	var out bytes.Buffer
	bio := bakeIO{stdin: &stdin, stdout: &out, env: c.env}
	if o.list != "" {
		err = writeList(context.Background(), o, bio)
	} else {
		o.print = true
		err = writeDefinition(context.Background(), o, bio)
	}
	return out.String(), err
}

var (
	timestampShape = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	// formatdate("YYYYMMDDhhmm", timestamp()) and the like, in tags
	compactTimestampShape = regexp.MustCompile(`20\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d`)
)

// normalizeDefinition parses printed JSON for comparison: timestamps
// compared by shape, members of groups as sets (buildx orders the groups of
// multi-key matrices and of compose services differently from run to run).
func normalizeDefinition(t *testing.T, s string) any {
	t.Helper()
	var doc map[string]any
	s = timestampShape.ReplaceAllString(s, "<time>")
	s = compactTimestampShape.ReplaceAllString(s, "<time>")
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("invalid JSON %v:\n%s", err, s)
	}
	groups, _ := doc["group"].(map[string]any)
	for _, g := range groups {
		if gm, ok := g.(map[string]any); ok {
			if ts, ok := gm["targets"].([]any); ok {
				slices.SortFunc(ts, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
			}
		}
	}
	return doc
}

func compareJSON(t *testing.T, want, got string) {
	t.Helper()
	w, g := normalizeDefinition(t, want), normalizeDefinition(t, got)
	if !reflect.DeepEqual(w, g) {
		t.Errorf("output differs from buildx\n--- buildx\n%s\n--- kiln\n%s", want, got)
	}
}

func TestGoldens(t *testing.T) {
	root, err := filepath.Abs("../../testdata/bake")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no cases in testdata/bake")
	}
	home := t.TempDir()
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c := bakeCase{
				dir:  dir,
				args: goldenLines(t, filepath.Join(dir, "args")),
				env:  append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}, goldenLines(t, filepath.Join(dir, "env"))...),
			}
			for _, kv := range c.env {
				// some values are read by libraries from the process environment
				if k, v, _ := strings.Cut(kv, "="); k != "PATH" && k != "HOME" {
					t.Setenv(k, v)
				}
			}
			got, err := runBakeCase(t, c)
			switch {
			case goldenExists(filepath.Join(dir, "expected.err")):
				if err == nil {
					t.Fatalf("buildx rejects this case, kiln printed:\n%s", got)
				}
				t.Logf("rejected: %v", err)
				wantErr := buildxErrorLine(goldenReadFile(t, filepath.Join(dir, "expected.err")))
				if !strings.Contains(err.Error(), wantErr) {
					t.Errorf("kiln's error does not say what buildx says\n--- buildx\n%s\n--- kiln\n%s", wantErr, err)
				}
			case goldenExists(filepath.Join(dir, "expected.json")):
				if err != nil {
					t.Fatalf("buildx accepts this case, kiln failed: %v", err)
				}
				compareJSON(t, goldenReadFile(t, filepath.Join(dir, "expected.json")), got)
			case goldenExists(filepath.Join(dir, "expected.txt")):
				if err != nil {
					t.Fatalf("buildx accepts this case, kiln failed: %v", err)
				}
				want := goldenReadFile(t, filepath.Join(dir, "expected.txt"))
				if strings.HasPrefix(strings.TrimSpace(want), "[") || strings.HasPrefix(strings.TrimSpace(want), "null") {
					compareJSON(t, `{"list":`+want+`}`, `{"list":`+got+`}`)
				} else if want != got {
					t.Errorf("list differs from buildx\n--- buildx\n%s--- kiln\n%s", want, got)
				}
			default:
				t.Fatal("no golden: run hack/gen-goldens.sh")
			}
		})
	}
}

// buildxErrorLine is the message of buildx's "ERROR: " line in expected.err,
// which kiln's error must contain. buildx prints a source excerpt above it
// for errors in a bake file (kiln quotes the line its own way), and ends it
// with ", and N other diagnostic(s)" when HCL returned several (kiln
// prints each diagnostic once, on its own line).
func buildxErrorLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if m, ok := strings.CutPrefix(lines[i], "ERROR: "); ok {
			return otherDiagnostics.ReplaceAllString(m, "")
		}
	}
	return strings.TrimSpace(s)
}

var otherDiagnostics = regexp.MustCompile(`, and \d+ other diagnostic\(s\)$`)

func goldenExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func goldenReadFile(t *testing.T, p string) string {
	t.Helper()
	dt, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}
