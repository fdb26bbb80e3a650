package bake

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// entitlementDirs makes root/work (the working directory, with the bake
// file) and root/outside (what the cases reach out to), and chdirs to work.
func entitlementDirs(t *testing.T, hcl string) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"outside/Dockerfile":     "FROM scratch\n",
		"outside/secret":         "s3cr3t\n",
		"outside/cache-src/x":    "x\n",
		"work/Dockerfile":        "FROM scratch\n",
		"work/docker-bake.hcl":   hcl,
		"work/inside/Dockerfile": "FROM scratch\n",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../outside", filepath.Join(root, "work", "link")); err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "outside", "key"), pem.EncodeToMemory(pemKey), 0o600); err != nil {
		t.Fatal(err)
	}
	agent, err := net.Listen("unix", filepath.Join(root, "agent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Close() })
	t.Setenv("SSH_AUTH_SOCK", filepath.Join(root, "agent.sock"))
	t.Chdir(filepath.Join(root, "work"))
	return root
}

// missing loads the bake file of the working directory and returns the
// --allow flags buildx would ask for, as Prompt lists them.
func missing(t *testing.T, allow, overrides []string) (string, error) {
	t.Helper()
	plan, _, err := Load(context.Background(), LoadOptions{Overrides: overrides, Env: []string{"SSH_AUTH_SOCK=" + os.Getenv("SSH_AUTH_SOCK")}})
	if err != nil {
		t.Fatal(err)
	}
	granted, err := ParseAllow(allow)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	granted.FSRead = append(granted.FSRead, wd)
	granted.FSWrite = append(granted.FSWrite, wd)
	need, err := plan.MissingEntitlements(granted)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = need.Prompt(context.Background(), PromptOptions{Out: &out, Interactive: true, Args: []string{"kiln", "bake"}, LookupEnv: func(string) (string, bool) { return "", false }})
	return out.String(), err
}

func TestFSEntitlementsRefuseOutsideWorkingDir(t *testing.T) {
	for _, c := range []struct {
		name, hcl, flag string
	}{
		{"context", `context = "../outside"`, "--allow=fs.read=../outside"},
		{"dockerfile", `dockerfile = "../outside/Dockerfile"`, "--allow=fs.read=../outside/Dockerfile"},
		{"named context", `contexts = { x = "../outside" }`, "--allow=fs.read=../outside"},
		{"oci-layout context", `contexts = { x = "oci-layout://../outside:v1" }`, "--allow=fs.read=../outside"},
		{"secret", `secret = ["id=s,src=../outside/secret"]`, "--allow=fs.read=../outside/secret"},
		{"ssh key", `ssh = ["k=../outside/key"]`, "--allow=fs.read=../outside/key"},
		{"ssh agent", `ssh = ["default"]`, "--allow=ssh"},
		{"local output", `output = ["type=local,dest=../outside/out"]`, "--allow=fs.write=../outside"},
		{"tar output", `output = ["type=tar,dest=../outside/out.tar"]`, "--allow=fs.write=../outside"},
		{"oci output", `output = ["type=oci,dest=../outside/out.tar"]`, "--allow=fs.write=../outside"},
		{"docker output", `output = ["type=docker,dest=../outside/out.tar"]`, "--allow=fs.write=../outside"},
		{"cache-to", `cache-to = ["type=local,dest=../outside/cache"]`, "--allow=fs.write=../outside"},
		{"cache-from", `cache-from = ["type=local,src=../outside/cache-src"]`, "--allow=fs.read=../outside/cache-src"},
		{"symlink context", `context = "link"`, "--allow=fs.read=../outside"},
		{"read and write", `context = "../outside"` + "\n" + `output = ["type=local,dest=../outside"]`, "--allow=fs=../outside"},
		{"absolute secret", `secret = ["id=s,src=/etc/hostname"]`, "--allow=fs.read=/etc/hostname"},
	} {
		t.Run(c.name, func(t *testing.T) {
			entitlementDirs(t, "target \"default\" {\n"+c.hcl+"\n}\n")
			if _, err := os.Stat("/etc/hostname"); err != nil && strings.Contains(c.hcl, "/etc/hostname") {
				t.Skip("no /etc/hostname")
			}
			out, err := missing(t, nil, nil)
			if err == nil || err.Error() != "additional privileges requested" {
				t.Fatalf("error = %v, want additional privileges requested\n%s", err, out)
			}
			if want := "\nPass \"" + c.flag + "\" to grant requested privileges.\n"; !strings.Contains(out, want) {
				t.Fatalf("report lacks %q:\n%s", want, out)
			}
			if want := "kiln bake " + c.flag + " \n"; !strings.Contains(out, want) {
				t.Fatalf("report lacks the full command %q:\n%s", want, out)
			}
			if !strings.Contains(out, "To disable filesystem entitlements checks, you can set BUILDX_BAKE_ENTITLEMENTS_FS=0 .\n") {
				t.Fatalf("report lacks the BUILDX_BAKE_ENTITLEMENTS_FS hint:\n%s", out)
			}
			allow := strings.TrimPrefix(c.flag, "--allow=")
			if out, err := missing(t, []string{allow}, nil); err != nil || out != "" {
				t.Fatalf("with --allow %s: %v\n%s", allow, err, out)
			}
			if allow == "ssh" {
				return
			}
			if out, err := missing(t, []string{strings.SplitN(allow, "=", 2)[0] + "=*"}, nil); err != nil || out != "" {
				t.Fatalf("with a * grant: %v\n%s", err, out)
			}
		})
	}
}

func TestFSEntitlementsInsideWorkingDirNeedNothing(t *testing.T) {
	entitlementDirs(t, `target "default" {
  context    = "inside"
  secret     = ["id=s,src=Dockerfile"]
  output     = ["type=local,dest=out/deep/dir"]
  cache-to   = ["type=local,dest=cache"]
}
`)
	if out, err := missing(t, nil, nil); err != nil || out != "" {
		t.Fatalf("paths under the working directory refused: %v\n%s", err, out)
	}
}

func TestFSEntitlementsGrantedBySet(t *testing.T) {
	entitlementDirs(t, `target "default" {}`)
	// buildx checks the deepest existing part of a path: make it the dest
	if err := os.Mkdir("../outside/out", 0o755); err != nil {
		t.Fatal(err)
	}
	sets := []string{"*.output=type=local,dest=../outside/out", "*.context=.", "*.cache-from=type=local,src=../outside/cache-src"}
	if out, err := missing(t, nil, sets); err != nil || out != "" {
		t.Fatalf("paths typed in --set refused: %v\n%s", err, out)
	}
	// --set context is not a grant in buildx
	if _, err := missing(t, nil, []string{"*.context=../outside"}); err == nil {
		t.Fatal("--set context=../outside granted without --allow")
	}
}

func TestFSEntitlementsSwitchAndRawJSON(t *testing.T) {
	entitlementDirs(t, `target "default" {
  context = "../outside"
  entitlements = ["network.host"]
}
`)
	plan, _, err := Load(context.Background(), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	need, err := plan.MissingEntitlements(Entitlements{FSRead: []string{wd}, FSWrite: []string{wd}})
	if err != nil {
		t.Fatal(err)
	}
	off := func(k string) (string, bool) { return "0", k == "BUILDX_BAKE_ENTITLEMENTS_FS" }
	none := func(string) (string, bool) { return "", false }
	// rawjson: one line naming every flag
	err = need.Prompt(context.Background(), PromptOptions{Out: &bytes.Buffer{}, LookupEnv: none})
	want := `additional privileges requested: pass "--allow=network.host --allow=fs.read=../outside" to grant requested privileges`
	if err == nil || err.Error() != want {
		t.Fatalf("rawjson error = %v, want %s", err, want)
	}
	// BUILDX_BAKE_ENTITLEMENTS_FS=0 drops the fs flags, not network.host
	err = need.Prompt(context.Background(), PromptOptions{Out: &bytes.Buffer{}, LookupEnv: off})
	want = `additional privileges requested: pass "--allow=network.host" to grant requested privileges`
	if err == nil || err.Error() != want {
		t.Fatalf("switched-off error = %v, want %s", err, want)
	}
	// BAKE_ALLOW_REMOTE_FS_ACCESS=1 does the same for a remote definition
	// only; BUILDX_BAKE_ENTITLEMENTS_FS=1 wins over it
	remoteFS := func(k string) (string, bool) { return "1", k == "BAKE_ALLOW_REMOTE_FS_ACCESS" }
	if err = need.Prompt(context.Background(), PromptOptions{Out: &bytes.Buffer{}, LookupEnv: remoteFS, Remote: true}); err == nil || err.Error() != want {
		t.Fatalf("BAKE_ALLOW_REMOTE_FS_ACCESS=1, remote: error = %v, want %s", err, want)
	}
	if err = need.Prompt(context.Background(), PromptOptions{Out: &bytes.Buffer{}, LookupEnv: remoteFS}); err == nil || !strings.Contains(err.Error(), "fs.read=../outside") {
		t.Fatalf("BAKE_ALLOW_REMOTE_FS_ACCESS=1, local definition: error = %v, want the fs flag asked for", err)
	}
	bothSet := func(k string) (string, bool) {
		return "1", k == "BAKE_ALLOW_REMOTE_FS_ACCESS" || k == "BUILDX_BAKE_ENTITLEMENTS_FS"
	}
	if err = need.Prompt(context.Background(), PromptOptions{Out: &bytes.Buffer{}, LookupEnv: bothSet, Remote: true}); err == nil || !strings.Contains(err.Error(), "fs.read=../outside") {
		t.Fatalf("BUILDX_BAKE_ENTITLEMENTS_FS=1 with BAKE_ALLOW_REMOTE_FS_ACCESS=1: error = %v, want the fs flag asked for", err)
	}
	need.NetworkHost = false
	var out bytes.Buffer
	if err := need.Prompt(context.Background(), PromptOptions{Out: &out, Interactive: true, LookupEnv: off}); err != nil {
		t.Fatalf("BUILDX_BAKE_ENTITLEMENTS_FS=0 still refuses: %v", err)
	}
	if !strings.Contains(out.String(), " - Read access to path ../outside\n") || strings.Contains(out.String(), "To disable") {
		t.Fatalf("switched-off report (buildx still prints the list):\n%s", out.String())
	}
	// a terminal is asked; "y" continues, anything else refuses
	for answer, ok := range map[string]bool{"y\n": true, "n\n": false, "\n": false} {
		var out bytes.Buffer
		err := need.Prompt(context.Background(), PromptOptions{Out: &out, Stdin: strings.NewReader(answer), Terminal: true, Interactive: true, LookupEnv: none})
		if (err == nil) != ok || !strings.HasSuffix(out.String(), "Do you want to grant requested privileges and continue? [y/N] ") {
			t.Fatalf("answer %q: err %v\n%s", answer, err, out.String())
		}
	}
}

func TestCheckEntitlementsPrivileges(t *testing.T) {
	entitlementDirs(t, `target "a" {
  entitlements = ["network.host", "device=nvidia.com/gpu=all"]
}
target "b" {
  entitlements = ["security.insecure"]
  output = ["type=local,dest=out,mode=delete"]
}
group "default" { targets = ["a", "b"] }
`)
	out, err := missing(t, nil, nil)
	want := "\nPass \"--allow=network.host --allow=security.insecure --allow=device=nvidia.com/gpu=all --allow=buildx.local.delete\" to grant requested privileges.\n"
	if err == nil || !strings.Contains(out, want) || strings.Contains(out, "BUILDX_BAKE_ENTITLEMENTS_FS") {
		t.Fatalf("error %v, report:\n%s\nwant %s", err, out, want)
	}
	if _, err := ParseAllow([]string{"bogus"}); err == nil {
		t.Fatal("unknown --allow value accepted")
	}
}
