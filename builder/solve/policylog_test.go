package solve

import (
	"errors"
	"testing"

	"github.com/moby/buildkit/client"
)

// collect starts a policyLog on a channel and returns it with a function
// that waits for the channel to be closed and returns what was sent.
func collect(name string) (*policyLog, func() []*client.SolveStatus) {
	ch := make(chan *client.SolveStatus)
	done := make(chan []*client.SolveStatus)
	go func() {
		var got []*client.SolveStatus
		for st := range ch {
			got = append(got, st)
		}
		done <- got
	}()
	return newPolicyLog(ch, name), func() []*client.SolveStatus { return <-done }
}

// TestPolicyLogDenied: the step starts at the first line, carries the
// lines (newline-terminated, empty ones dropped) and ends with the build's
// error; a line after Close is dropped rather than sent on a closed channel.
func TestPolicyLogDenied(t *testing.T) {
	l, wait := collect("loading policies a.rego")
	l.Log("checking policy for source local://context")
	l.Log("")
	l.Log("policy decision for source local://context: DENY\n")
	l.Close(errors.New("source not allowed by policy"))
	l.Log("late")
	l.Close(nil)
	got := wait()

	var logs []string
	var first, last *client.Vertex
	for _, st := range got {
		for _, v := range st.Vertexes {
			if first == nil {
				first = v
			}
			last = v
			if v.Name != "loading policies a.rego" || v.Digest != l.dgst {
				t.Errorf("vertex %s %q, want %s %q", v.Digest, v.Name, l.dgst, "loading policies a.rego")
			}
		}
		for _, g := range st.Logs {
			if g.Vertex != l.dgst {
				t.Errorf("log for %s, want %s", g.Vertex, l.dgst)
			}
			logs = append(logs, string(g.Data))
		}
	}
	if first == nil || first.Started == nil || first.Completed != nil {
		t.Fatalf("first vertex status %+v, want started and not completed", first)
	}
	if last.Completed == nil || last.Error != "source not allowed by policy" {
		t.Errorf("last vertex status %+v, want completed with the error", last)
	}
	want := []string{"checking policy for source local://context\n", "policy decision for source local://context: DENY\n"}
	if len(logs) != len(want) || logs[0] != want[0] || logs[1] != want[1] {
		t.Errorf("logs %q, want %q", logs, want)
	}
}

// TestPolicyLogSilent: a policy that logs nothing shows no step, whatever
// the build's error.
func TestPolicyLogSilent(t *testing.T) {
	l, wait := collect("loading policies a.rego")
	l.Close(errors.New("failed"))
	if got := wait(); len(got) != 0 {
		t.Errorf("sent %d statuses, want none", len(got))
	}
	var nilLog *policyLog
	nilLog.Log("ignored")
	nilLog.Close(nil)
}
