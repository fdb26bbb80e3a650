package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/tonistiigi/fsutil"
)

// TestEntitlements: an engine allowing network.host and security.insecure
// gives them to a solve that asks (--allow), and refuses one that does not.
func TestEntitlements(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	e, err := Start(context.Background(), Options{Root: t.TempDir(), Entitlements: []string{"network.host", "security.insecure"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

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

// TestEntitlementsNotAllowedByEngine: an engine not allowing an
// entitlement refuses even a solve that asks, with BuildKit's message: the
// embedded engine by default (security.insecure, as Docker's BuildKit), a
// served one by default (both, as buildkitd), one started with none.
func TestEntitlementsNotAllowedByEngine(t *testing.T) {
	requireEngine(t)
	for _, tc := range []struct {
		name string
		opts Options
		ents []string
	}{
		{"embedded default", Options{}, []string{"security.insecure"}},
		{"daemon default", Options{Daemon: true}, []string{"security.insecure", "network.host"}},
		{"none", Options{Entitlements: []string{}}, []string{"security.insecure", "network.host"}},
	} {
		tc.opts.Root = t.TempDir()
		e, err := Start(context.Background(), tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, ent := range tc.ents {
			run := llb.Security(pb.SecurityMode_INSECURE)
			if ent == "network.host" {
				run = llb.Network(pb.NetMode_HOST)
			}
			st := llb.Scratch().Run(llb.Args([]string{"/true"}), run).Root()
			def, err := st.Marshal(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			_, err = e.Client().Solve(ctx, def, client.SolveOpt{AllowedEntitlements: []string{ent}}, nil)
			cancel()
			if want := "granting entitlement " + ent + " is not allowed by build daemon configuration"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want %q", tc.name, err, want)
			}
		}
		e.Close()
	}
}

// TestAllowedEntitlements is buildkitd's precedence: the flag (Options)
// replaces buildkitd.toml's list; without either, the engine kind's default.
func TestAllowedEntitlements(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config []string
		opts   Options
		want   []string
	}{
		{"embedded default", nil, Options{}, []string{"network.host"}},
		{"daemon default", nil, Options{Daemon: true}, nil},
		{"config", []string{"security.insecure"}, Options{Daemon: true}, []string{"security.insecure"}},
		{"config empty", []string{}, Options{}, []string{}},
		{"flag replaces config", []string{"security.insecure"}, Options{Daemon: true, Entitlements: []string{"network.host"}}, []string{"network.host"}},
	} {
		if got := allowedEntitlements(tc.config, tc.opts); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if err := CheckEntitlements([]string{"network.host", "security.unsafe"}); err == nil || !strings.Contains(err.Error(), `"security.unsafe"`) {
		t.Errorf("CheckEntitlements: %v, want one naming security.unsafe", err)
	}
}

// TestConfigEntitlements: buildkitd.toml's insecure-entitlements are read,
// and a name BuildKit does not know fails the start naming the file.
func TestConfigEntitlements(t *testing.T) {
	requireEngine(t)
	root := t.TempDir()
	cfg := filepath.Join(root, ConfigFileName)
	if err := os.WriteFile(cfg, []byte("insecure-entitlements = [\"security.insecure\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Start(context.Background(), Options{Root: root, Daemon: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Entitlements(); !slices.Equal(got, []string{"security.insecure"}) {
		t.Errorf("entitlements from the config: %q", got)
	}
	e.Close()
	if err := os.WriteFile(cfg, []byte("insecure-entitlements = [\"security.unsafe\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), Options{Root: root, Daemon: true})
	if err == nil || !strings.Contains(err.Error(), cfg) || !strings.Contains(err.Error(), "unknown entitlement security.unsafe") {
		t.Errorf("a bad config entitlement: %v", err)
	}
}
