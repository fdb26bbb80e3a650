package bake

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
)

func TestSplitRemoteArgs(t *testing.T) {
	for _, c := range []struct {
		args     []string
		url, cmd string
		targets  []string
	}{
		{nil, "", "cwd://", nil},
		{[]string{"a", "b"}, "", "cwd://", []string{"a", "b"}},
		{[]string{"https://example.com/r.git#main", "a"}, "https://example.com/r.git#main", "cwd://", []string{"a"}},
		{[]string{"git@example.com:o/r.git", "https://example.com/x.git#v1:sub", "a"}, "git@example.com:o/r.git", "https://example.com/x.git#v1:sub", []string{"a"}},
		{[]string{"a", "https://example.com/r.git"}, "", "cwd://", []string{"a", "https://example.com/r.git"}},
	} {
		url, cmd, targets := SplitRemoteArgs(c.args)
		if url != c.url || cmd != c.cmd || !slices.Equal(targets, c.targets) {
			t.Errorf("SplitRemoteArgs(%q) = %q, %q, %q; want %q, %q, %q", c.args, url, cmd, targets, c.url, c.cmd, c.targets)
		}
	}
}

// The cases of buildx's TestRemoteURLWithSubdir.
func TestRemoteURLWithSubdir(t *testing.T) {
	for _, c := range []struct{ remote, subdir, want string }{
		{"https://github.com/docker/buildx.git", "components/interface", "https://github.com/docker/buildx.git#:components/interface"},
		{"https://github.com/docker/buildx.git#main", "components/interface", "https://github.com/docker/buildx.git#main:components/interface"},
		{"https://github.com/docker/buildx.git#main:base", "components/interface", "https://github.com/docker/buildx.git#main:base/components/interface"},
		{"https://github.com/docker/buildx.git?branch=main", "components/interface", "https://github.com/docker/buildx.git?branch=main#:components/interface"},
		{"https://example.com/context.tar.gz", "components/interface", "https://example.com/context.tar.gz"},
		{"https://github.com/docker/buildx.git#main", ".", "https://github.com/docker/buildx.git#main"},
	} {
		if got := remoteURLWithSubdir(c.remote, c.subdir); got != c.want {
			t.Errorf("remoteURLWithSubdir(%q, %q) = %q, want %q", c.remote, c.subdir, got, c.want)
		}
	}
}

// TestLoadRemoteDefinition: the files a remote definition's Read returns
// are evaluated with BAKE_CMD_CONTEXT and cwd:// files after them, and the
// contexts become the remote source as buildx's updateContext makes them.
// Read is given the files here; the integration test reads them through
// BuildKit.
func TestLoadRemoteDefinition(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, "local.hcl"), []byte("target \"sub\" {\n  tags = [\"local\"]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const url = "git://example.com/r.git#main"
	src := llb.Git("git://example.com/r.git", "main")
	var asked []string
	rd := &RemoteDefinition{
		URL:        url,
		CmdContext: "https://other.example.com/cmd.git",
		Read: func(ctx context.Context, names []string) ([]File, *Input, error) {
			asked = names
			return []File{{Name: "docker-bake.hcl", Data: []byte(`
target "root" {}
target "sub" {
  context  = "sub"
  contexts = { lib = "lib", top = ".", img = "docker-image://busybox" }
}
target "cmd" {
  context = BAKE_CMD_CONTEXT
}
`)}}, &Input{State: &src, URL: url}, nil
		},
	}
	plan, _, err := Load(context.Background(), LoadOptions{
		Files:   []string{"docker-bake.hcl", "cwd://local.hcl"},
		Targets: []string{"root", "sub", "cmd"},
		Remote:  rd,
		Env:     []string{"BUILDX_BAKE_GIT_AUTH_TOKEN=tok"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"docker-bake.hcl"}) {
		t.Errorf("remote files asked: %q", asked)
	}
	ctxOf := func(name string) string { return *plan.Targets[name].Context }
	if got := ctxOf("root"); got != url {
		t.Errorf("root context %q, want %q", got, url)
	}
	if plan.Targets["root"].ContextState() != nil {
		t.Errorf("root: the remote URL itself is the context, not a copied folder")
	}
	sub := plan.Targets["sub"]
	if got := ctxOf("sub"); got != url+":sub" {
		t.Errorf("sub context %q", got)
	}
	if sub.ContextState() == nil {
		t.Errorf("sub: no remote folder state")
	}
	if !slices.Equal(sub.Tags, []string{"local"}) {
		t.Errorf("sub tags %q: cwd://local.hcl not read after the remote file", sub.Tags)
	}
	if nc, ok := sub.RemoteNamedContext("lib"); !ok || nc.State == nil || nc.Path != url+":lib" {
		t.Errorf("lib: %+v, %v", nc, ok)
	}
	if nc, ok := sub.RemoteNamedContext("top"); !ok || nc.State != nil || nc.Path != url {
		t.Errorf("top: %+v, %v", nc, ok)
	}
	if _, ok := sub.RemoteNamedContext("img"); ok {
		t.Errorf("img is an image, not a folder of the remote source")
	}
	if got := ctxOf("cmd"); got != "https://other.example.com/cmd.git" {
		t.Errorf("cmd context %q, want BAKE_CMD_CONTEXT", got)
	}
	if s := sub.RemoteSecrets(); len(s) != 1 || s[0].ID != "GIT_AUTH_TOKEN.example.com" || s[0].Env != "BUILDX_BAKE_GIT_AUTH_TOKEN" {
		t.Errorf("sub secrets %+v", s)
	}
	if s := plan.Targets["cmd"].RemoteSecrets(); len(s) != 0 {
		t.Errorf("cmd: secrets %+v for another host", s)
	}
}

// TestLoadRemoteDefinitionSSH: a definition read over SSH forwards the
// default SSH agent to every build (buildx's toBuildOpt), which --print does
// not show, and needs an agent socket as buildx's CreateSSH does.
func TestLoadRemoteDefinitionSSH(t *testing.T) {
	t.Chdir(t.TempDir())
	const url = "git@example.com:o/r.git#main"
	src := llb.Git("git@example.com:o/r.git", "main")
	rd := &RemoteDefinition{
		URL:        url,
		CmdContext: "cwd://",
		Read: func(ctx context.Context, names []string) ([]File, *Input, error) {
			return []File{{Name: "docker-bake.hcl", Data: []byte("target \"sub\" {\n  context = \"sub\"\n}\n")}}, &Input{State: &src, URL: url}, nil
		},
	}
	// a socket the agent check can stat (no agent is asked anything)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	plan, _, err := Load(context.Background(), LoadOptions{Targets: []string{"sub"}, Remote: rd, Env: []string{"SSH_AUTH_SOCK=" + sock}})
	if err != nil {
		t.Fatal(err)
	}
	sub := plan.Targets["sub"]
	if got := *sub.Context; got != url+":sub" {
		t.Errorf("context %q", got)
	}
	if len(sub.SSH) != 0 {
		t.Errorf("ssh %v would be printed", sub.SSH)
	}
	if ssh := sub.SSHAgents(); len(ssh) != 1 || ssh[0].ID != "default" {
		t.Errorf("SSHAgents = %v, want the default agent", ssh)
	}
	_, _, err = Load(context.Background(), LoadOptions{Targets: []string{"sub"}, Remote: rd, Env: []string{}})
	if err == nil || !strings.Contains(err.Error(), "invalid empty ssh agent socket") {
		t.Errorf("without SSH_AUTH_SOCK: %v, want buildx's ssh agent error", err)
	}
}
