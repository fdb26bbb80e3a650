package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/node"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

func TestPruneInfo(t *testing.T) {
	for _, tc := range []struct {
		in     []string
		filter string
		keep   time.Duration
		err    string
	}{
		{in: nil, filter: ""},
		{in: []string{"until=24h"}, keep: 24 * time.Hour},
		{in: []string{"type=regular", "id=abc"}, filter: "id~=abc,type==regular"},
		{in: []string{"description~=foo", "type!=source.local"}, filter: "description~=foo,type!=source.local"},
		{in: []string{"until=24h", "unused-for=1h"}, err: "conflicting"},
		{in: []string{"until=tomorrow"}, err: "expects a duration"},
		{in: []string{"type=a", "type=b"}, err: "only one value"},
		{in: []string{"type"}, err: "want key=value"},
	} {
		pi, err := pruneInfo(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(pi.Filter, []string{tc.filter}) || pi.KeepDuration != tc.keep {
			t.Errorf("%v: got %v %v, want [%s] %v", tc.in, pi.Filter, pi.KeepDuration, tc.filter, tc.keep)
		}
	}
}

// stdoutOf runs a kiln command and returns what it printed.
func stdoutOf(t *testing.T, args ...string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&buf, r); close(done) }()
	err = run(context.Background(), args)
	os.Stdout = saved
	w.Close()
	<-done
	if err != nil {
		t.Fatalf("kiln %v: %v\n%s", args, err, buf.String())
	}
	return buf.String()
}

// TestPruneAndDu fills an embedded engine's cache, then reads and empties
// it with `kiln du` and `kiln prune`.
func TestPruneAndDu(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the embedded engine needs root")
	}
	root := t.TempDir()
	t.Setenv("KILN_ROOT", root)
	n, err := node.Open(context.Background(), "embedded", node.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := llb.Scratch().File(llb.Mkfile("/f", 0o644, bytes.Repeat([]byte("kiln"), 1<<18)))
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Client().Solve(context.Background(), def, client.SolveOpt{
		Exports: []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: t.TempDir()}},
	}, nil)
	n.Close()
	if err != nil {
		t.Fatal(err)
	}

	du := stdoutOf(t, "du")
	if h := strings.Join(strings.Fields(strings.SplitN(du, "\n", 2)[0]), " "); h != "ID RECLAIMABLE SIZE LAST ACCESSED" {
		t.Errorf("du header %q", h)
	}
	if total := field(du, "Total:"); total == "" || total == "0B" {
		t.Fatalf("du shows no cache after a build:\n%s", du)
	}
	if v := stdoutOf(t, "du", "--verbose"); !strings.Contains(v, "Reclaimable:  true") {
		t.Errorf("du --verbose output:\n%s", v)
	}

	pruned := stdoutOf(t, "prune", "--force", "--all")
	if total := field(pruned, "Total:"); total == "" || total == "0B" {
		t.Errorf("prune removed nothing:\n%s", pruned)
	}
	if after := stdoutOf(t, "du"); field(after, "Total:") != "0B" {
		t.Errorf("du after prune --all:\n%s", after)
	}
}

// field returns the word after key at the start of a line of out.
func field(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			return f[1]
		}
	}
	return ""
}
