package engine

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/session"
)

// TestServe builds through a served engine over a unix socket and over TCP,
// the way another kiln process, buildctl or buildx --driver remote would.
func TestServe(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	e := startEngine(t, t.TempDir())

	sock := filepath.Join(t.TempDir(), "run", "buildkitd.sock")
	for _, addr := range []string{"unix://" + sock, "tcp://127.0.0.1:0"} {
		t.Run(addr[:3], func(t *testing.T) {
			l, err := Listen(addr, nil)
			if err != nil {
				t.Fatal(err)
			}
			if l.Addr().Network() == "tcp" {
				addr = "tcp://" + l.Addr().String()
			}
			if err := e.Advertise(addr); err != nil {
				t.Fatal(err)
			}
			go e.Serve(l)

			c, err := client.New(context.Background(), addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			st := sh(baseImage(), fmt.Sprintf("echo via %s > /out/f", addr)).AddMount("/out", llb.Scratch())
			res := solve(t, c, st, base, client.SolveOpt{})
			if got := readFile(t, filepath.Join(res.out, "f")); got != "via "+addr+"\n" {
				t.Errorf("f = %q", got)
			}
			if _, got := ReadLockHolder(e.Root()); got != addr {
				t.Errorf("lock file advertises %q, want %q", got, addr)
			}
		})
	}
}

// TestCloseWithOpenStream closes a served engine while a client holds a
// session stream open: GracefulStop alone would wait for it forever.
func TestCloseWithOpenStream(t *testing.T) {
	requireEngine(t)
	e, err := Start(context.Background(), Options{Root: t.TempDir(), StopTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	l, err := Listen("tcp://127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	go e.Serve(l)
	c, err := client.New(context.Background(), "tcp://"+l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := session.NewSession(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
		return c.Dialer()(ctx, proto, meta)
	})
	// Wait until the engine has the session.
	if _, err := c.ListWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)

	done := make(chan error, 1)
	go func() { done <- e.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
		if e.graceful {
			t.Error("GracefulStop returned on its own: the session stream was not open, the test proves nothing")
		}
	case <-time.After(time.Minute):
		t.Fatal("Close did not return with a session stream open")
	}
}

func TestChownSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	addr := "unix://" + filepath.Join(t.TempDir(), "s.sock")
	l, err := Listen(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := ChownSocket(addr, 65534); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(strings.TrimPrefix(addr, "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Gid != 65534 || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket gid %d mode %v, want 65534 and 0660", st.Gid, fi.Mode().Perm())
	}
	if err := ChownSocket("tcp://127.0.0.1:1", 1); err == nil {
		t.Error("ChownSocket on a tcp address: no error")
	}
}
