package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
)

func TestNoOutputWarning(t *testing.T) {
	reqs := []*request.Request{{Target: "b", NoOutput: true}, {Target: "a", NoOutput: true}, {Target: "c"}}
	w := NoOutputWarning(reqs, "embedded")
	if !strings.HasPrefix(w, "No output specified for a, b target(s) with embedded builder. Build result will only remain in the build cache.") {
		t.Errorf("warning %q", w)
	}
	if w := NoOutputWarning([]*request.Request{{Target: "default", NoOutput: true}}, "embedded"); !strings.HasPrefix(w, "No output specified with embedded builder.") {
		t.Errorf("default warning %q", w)
	}
	if w := NoOutputWarning(reqs[2:], "embedded"); w != "" {
		t.Errorf("warning without cause: %q", w)
	}
}

func TestSummary(t *testing.T) {
	rep := &Report{
		Outcomes: []schedule.Outcome{
			{Target: "app", Status: schedule.Succeeded, Response: map[string]string{"containerimage.digest": "sha256:abc"}},
			{Target: "lib", Status: schedule.Failed, Err: errors.New("failed to solve: exit code: 2")},
			{Target: "web", Status: schedule.Aborted, Err: errors.New("aborted: target lib failed")},
		},
		Requests: map[string]*request.Request{
			"app": {Target: "app", Exports: []request.Export{{Type: "image", Attrs: map[string]string{"push": "true", "name": "r/app:1"}}}},
			"lib": {Target: "lib", Exports: []request.Export{{Type: "local", Dir: "/out/lib"}}},
			"web": {Target: "web", Exports: []request.Export{{Type: "image", Attrs: map[string]string{"push": "true", "name": "r/web:1"}}}},
		},
	}
	var b bytes.Buffer
	PrintSummary(&b, rep, "embedded")
	s := b.String()
	for _, want := range []string{
		"3 target(s) on embedded: 1 succeeded, 1 failed, 1 aborted",
		"app  succeeded  pushed r/app:1 sha256:abc",
		"ERROR: target lib: failed to solve: exit code: 2",
		"web was not (completely) pushed",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "app was not") || strings.Contains(s, "ERROR: target web") {
		t.Errorf("summary blames the wrong target:\n%s", s)
	}
}

// A target kiln did not build says so, with when its standing build ran.
func TestSummaryUpToDate(t *testing.T) {
	now := time.Now()
	rep := &Report{
		Outcomes: []schedule.Outcome{
			{Target: "api", Status: schedule.Succeeded, UpToDate: true, Built: now.Add(-3 * time.Minute)},
			{Target: "web", Status: schedule.Succeeded},
		},
		Requests: map[string]*request.Request{
			"api": {Target: "api", Exports: []request.Export{{Type: "local", Dir: "/out/api"}}},
			"web": {Target: "web"},
		},
	}
	var b bytes.Buffer
	PrintSummary(&b, rep, "embedded")
	for _, want := range []string{
		"kiln: 2 target(s) on embedded: 2 succeeded (1 up to date)",
		"  api  up to date (built 3 minutes ago)  local /out/api\n",
		"  web  succeeded                         build cache only\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	for d, want := range map[time.Duration]string{
		10 * time.Second: "just now", time.Minute: "1 minute ago", 5 * time.Minute: "5 minutes ago", 3 * time.Hour: "3 hours ago",
	} {
		if got := ago(now.Add(-d), now); got != want {
			t.Errorf("ago(-%s) = %q, want %q", d, got, want)
		}
	}
}
