package engine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/tonistiigi/fsutil"
)

// TestEntitlements: the controller allows network.host and
// security.insecure, so a solve that asks for them (--allow) gets them, and
// one that does not is refused.
func TestEntitlements(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	e := startEngine(t, t.TempDir())

	// Mounting needs CAP_SYS_ADMIN, which only an insecure step has.
	st := sh(baseImage(), "/bin/busybox mkdir -p /mnt && /bin/busybox mount -t tmpfs none /mnt && echo privileged > /out/r",
		llb.Security(pb.SecurityMode_INSECURE), llb.Network(pb.NetMode_HOST)).AddMount("/out", llb.Scratch())

	res := solve(t, e.Client(), st, base, client.SolveOpt{AllowedEntitlements: []string{"security.insecure", "network.host"}})
	if got := readFile(t, filepath.Join(res.out, "r")); got != "privileged\n" {
		t.Errorf("r = %q", got)
	}

	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fs, err := fsutil.NewFS(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = e.Client().Solve(ctx, def, client.SolveOpt{LocalMounts: map[string]fsutil.FS{"base": fs}}, nil)
	if err == nil || !strings.Contains(err.Error(), "is not allowed") {
		t.Errorf("a solve not allowing the entitlements: error %v, want \"... is not allowed\"", err)
	}
}

// TestEntitlementsNotAllowedByEngine: an engine started without them
// refuses even a solve that asks.
func TestEntitlementsNotAllowedByEngine(t *testing.T) {
	requireEngine(t)
	e, err := Start(context.Background(), Options{Root: t.TempDir(), Entitlements: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	st := llb.Scratch().Run(llb.Args([]string{"/true"}), llb.Security(pb.SecurityMode_INSECURE)).Root()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = e.Client().Solve(ctx, def, client.SolveOpt{AllowedEntitlements: []string{"security.insecure"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "security.insecure") {
		t.Errorf("error %v, want one refusing security.insecure", err)
	}
}
