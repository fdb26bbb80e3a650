package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestEntitlementGoldens compares kiln's refusal of each case of
// testdata/entitlements with what real buildx v0.38.2 printed for it
// (hack/gen-entitlement-goldens.sh): the report, the flags, the full
// command and the error line, byte for byte.
func TestEntitlementGoldens(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/entitlements/*/work")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in testdata/entitlements (%v)", err)
	}
	// buildx ran without it; restored after the test
	t.Setenv("BUILDX_BAKE_ENTITLEMENTS_FS", "")
	os.Unsetenv("BUILDX_BAKE_ENTITLEMENTS_FS")
	for _, work := range dirs {
		dir := filepath.Dir(work)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "expected.stderr"))
			if err != nil {
				t.Fatal(err)
			}
			args := append([]string{"--progress=quiet"}, goldenLines(t, filepath.Join(dir, "args"))...)
			abs, err := filepath.Abs(work)
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(abs)
			o, err := parseBakeFlags(&command{name: "bake"}, args)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := loadPlan(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = promptEntitlements(context.Background(), plan, o, &out, append([]string{"kiln", "bake"}, args...), false)
			if err == nil {
				t.Fatalf("buildx refuses this case, kiln let it through:\n%s", out.String())
			}
			got := out.String() + "ERROR: " + err.Error() + "\n"
			if got != string(want) {
				t.Errorf("report differs from buildx\n--- buildx\n%s--- kiln\n%s", want, got)
			}
		})
	}
}
