package bake

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/buildx/util/buildflags"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"golang.org/x/crypto/ssh"
)

// bake checks secret sources and SSH agents with its own code so as not to
// import BuildKit's session providers; on real files, sockets and keys it
// accepts and rejects what they do, with the same messages.
func TestSessionSpecsAsBuildKit(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("small", []byte("s3cret"))
	big := write("big", make([]byte, 500*1024+1))
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := write("id_ed25519", pem.EncodeToMemory(block))
	notKey := write("not-a-key", []byte("hello"))
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	missing := filepath.Join(dir, "missing")
	t.Setenv("KILN_TEST_SECRET", "v")

	secretCases := []*buildflags.Secret{
		{FilePath: small},
		{ID: "s", FilePath: small},
		{ID: "s", FilePath: big},
		{ID: "s", FilePath: missing},
		{ID: "s", Env: "KILN_TEST_SECRET"},
		{ID: "KILN_TEST_SECRET"}, // an environment variable
		{ID: small},              // else a file
		{ID: missing},
	}
	for _, s := range secretCases {
		_, want := secretsprovider.NewStore([]secretsprovider.Source{{ID: s.ID, FilePath: s.FilePath, Env: s.Env}})
		got := checkSecret(s, os.LookupEnv)
		sameError(t, "secret "+s.String(), got, want)
	}

	sshCases := [][]*buildflags.SSH{
		{{ID: "k", Paths: []string{key}}},
		{{ID: "k", Paths: []string{key, key}}},
		{{ID: "s", Paths: []string{sock}}},
		{{ID: "s", Paths: []string{sock, sock}}},
		{{ID: "m", Paths: []string{sock, key}}},
		{{ID: "m", Paths: []string{key, sock}}},
		{{ID: "k", Paths: []string{notKey}}},
		{{ID: "k", Paths: []string{missing}}},
		{{ID: "k", Paths: []string{"/dev/null"}}},
		{{Paths: []string{key}}},
		{{ID: "a", Paths: []string{key}}, {ID: "a", Paths: []string{sock}}},
		{{ID: "default"}},
		{{ID: "default", Paths: []string{""}}},
	}
	for _, sockEnv := range []string{"", sock} {
		t.Setenv("SSH_AUTH_SOCK", sockEnv)
		for _, specs := range sshCases {
			var confs []sshprovider.AgentConfig
			for _, s := range specs {
				confs = append(confs, sshprovider.AgentConfig{ID: s.ID, Paths: slices.Clone(s.Paths)})
			}
			_, want := sshprovider.NewSSHAgentProvider(confs)
			_, got := checkSSH(specs, os.LookupEnv)
			sameError(t, fmt.Sprintf("ssh %v SSH_AUTH_SOCK=%s", confs, sockEnv), got, want)
		}
	}

	for _, mode := range []string{"", "copy", "delete", " Delete ", "mirror"} {
		m, want := client.ParseLocalExporterMode(mode)
		got, err := localOutputDeletes(mode)
		sameError(t, "local output mode "+mode, err, want)
		if want == nil && got != (m == client.LocalExporterModeDelete) {
			t.Errorf("local output mode %q: delete %v, BuildKit says %s", mode, got, m)
		}
	}
}

func sameError(t *testing.T, what string, got, want error) {
	t.Helper()
	switch {
	case (got == nil) != (want == nil):
		t.Errorf("%s: kiln %v, BuildKit %v", what, got, want)
	case got != nil && got.Error() != want.Error():
		t.Errorf("%s:\n kiln     %v\n BuildKit %v", what, got, want)
	}
}

// A Git context reached over SSH forwards the default agent when the
// target names none, as buildx does; Load checks that agent.
func TestSSHAgentsOfGitSSHContext(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const src = `target "git" {
  context = "git@github.com:docker/buildx.git"
}
target "named" {
  context = "git@github.com:docker/buildx.git"
  ssh = ["key=` + "SOCK" + `"]
}
target "local" {}
`
	p, err := loadSources(LoadOptions{Targets: []string{"git", "named", "local"}, Env: []string{"SSH_AUTH_SOCK=" + sock}},
		"docker-bake.hcl", strings.ReplaceAll(src, "SOCK", sock))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]*buildflags.SSH{
		"git":   {{ID: "default"}},
		"named": {{ID: "key", Paths: []string{sock}}},
		"local": nil,
	} {
		got := p.Targets[name].SSHAgents()
		if !slices.EqualFunc(got, want, func(a, b *buildflags.SSH) bool { return a.Equal(b) }) {
			t.Errorf("%s: SSHAgents %v, want %v", name, got, want)
		}
	}
}
