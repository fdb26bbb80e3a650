package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

func TestEmbeddedSolveRunc(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	e := startEngine(t, t.TempDir())

	run := sh(baseImage(), `mkdir -p /out/dir && echo hello from runc > /out/greeting && chmod 0777 /out/dir && /bin/busybox uname -m > /out/arch`)
	res := solve(t, e.Client(), run.AddMount("/out", llb.Scratch()), base, client.SolveOpt{})

	if got := readFile(t, filepath.Join(res.out, "greeting")); got != "hello from runc\n" {
		t.Errorf("greeting = %q", got)
	}
	if got := strings.TrimSpace(readFile(t, filepath.Join(res.out, "arch"))); got != "x86_64" {
		t.Errorf("arch = %q, want x86_64", got)
	}
	fi, err := os.Stat(filepath.Join(res.out, "dir"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o777 {
		t.Errorf("dir mode = %v, want 0777 as set in the build", fi.Mode().Perm())
	}
}

func TestNeedRootMessage(t *testing.T) {
	if err := checkRoot(0); err != nil {
		t.Fatalf("root: %v", err)
	}
	err := checkRoot(1000)
	if err == nil {
		t.Fatal("non-root: no error")
	}
	for _, want := range []string{"needs root", "--builder"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	root := t.TempDir()
	cfg, err := loadConfig(root, "")
	if err != nil {
		t.Fatalf("no config file: %v", err)
	}
	if cfg.Root != root || cfg.Workers.OCI.Snapshotter != "auto" || cfg.Workers.OCI.NetworkConfig.Mode != "host" {
		t.Errorf("defaults: root %q snapshotter %q network %q", cfg.Root, cfg.Workers.OCI.Snapshotter, cfg.Workers.OCI.NetworkConfig.Mode)
	}
	if _, err := loadConfig(root, filepath.Join(root, "missing.toml")); err == nil {
		t.Error("an explicit config file that does not exist: no error")
	}
	bad := filepath.Join(root, ConfigFileName)
	if err := os.WriteFile(bad, []byte("[registry\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(root, ""); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("malformed config: error %v does not name %s", err, bad)
	}
}
