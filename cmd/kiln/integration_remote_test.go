package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// remoteRepo is the repository the remote-definition tests serve, over
// git (git daemon) and as a tarball (HTTP): targets whose contexts are
// the definition's root, a folder of it, named folders, and the command
// context; defs/ is a second definition for #ref:subdir.
var remoteRepo = map[string]string{
	"docker-bake.hcl": `variable "WHO" {
  default = "remote"
}
group "default" {
  targets = ["root", "sub", "named"]
}
target "root" {
  args   = { WHO = WHO }
  output = ["type=oci,dest=out/root.tar"]
}
target "sub" {
  context = "sub"
  output  = ["type=oci,dest=out/sub.tar"]
}
target "named" {
  dockerfile = "named.Dockerfile"
  contexts   = { lib = "sub", top = "." }
  output     = ["type=oci,dest=out/named.tar"]
}
target "cmd" {
  context    = BAKE_CMD_CONTEXT
  dockerfile = "cmd.Dockerfile"
  output     = ["type=cacheonly"]
}
`,
	"Dockerfile":       "FROM scratch\nARG WHO\nCOPY hello /hello\nLABEL who=$WHO\n",
	"named.Dockerfile": "FROM scratch\nCOPY --from=lib s /lib/s\nCOPY --from=top hello /top/hello\n",
	"hello":            "hello from the remote root\n",
	"sub/Dockerfile":   "FROM scratch\nCOPY s /s\n",
	"sub/s":            "a file of sub\n",
	"extra.hcl":        "target \"extra\" {\n  context = \"sub\"\n  tags = [\"kiln.test/extra:1\"]\n}\n",
	"defs/docker-bake.hcl": `target "default" {
  context = "app"
  output  = ["type=cacheonly"]
}
`,
	"defs/app/Dockerfile": "FROM scratch\nCOPY a /a\n",
	"defs/app/a":          "app in defs\n",
	// pol/: Rego policies inside the remote source, read from it
	"pol/docker-bake.hcl": `target "root" {
  output = ["type=cacheonly"]
}
target "app" {
  context = "app"
  output  = ["type=cacheonly"]
}
target "approved" {
  context = "app"
  labels  = { "com.example.approved" = "1" }
  output  = ["type=cacheonly"]
}
target "extra" {
  context = "lib"
  policy  = [{ filename = "extra.rego" }]
  output  = ["type=cacheonly"]
}
`,
	"pol/Dockerfile":          "FROM scratch\nCOPY docker-bake.hcl /x\n",
	"pol/Dockerfile.rego":     remoteNeedLabel,
	"pol/app/Dockerfile":      "FROM scratch\nCOPY Dockerfile /x\n",
	"pol/app/Dockerfile.rego": remoteNeedLabel,
	"pol/lib/Dockerfile":      "FROM scratch\nCOPY Dockerfile /x\n",
	"pol/lib/extra.rego":      remoteNeedLabel,
}

const remoteNeedLabel = `package docker

default allow := false

allow if input.env.labels["com.example.approved"] == "1"

deny_msg contains "label com.example.approved=1 is required" if not allow

decision := {"allow": allow, "deny_msg": deny_msg}
`

// TestIntegrationRemoteDefinition runs remote bake definitions, served from
// 127.0.0.1 by `git daemon` and an HTTP server, through buildx v0.38.2
// (driver remote) and kiln on one `kiln engine serve`: --print and --list
// print the same bytes, builds make the same images (digests with
// SOURCE_DATE_EPOCH=0) and the same provenance, and sources that cannot be
// read fail with buildx's cause on one line.
func TestIntegrationRemoteDefinition(t *testing.T) {
	requireIntegration(t)
	buildx := findBuildx()
	if buildx == "" {
		t.Skip("needs buildx v0.38.2 (go install github.com/docker/buildx/cmd/buildx@v0.38.2, or KILN_TEST_BUILDX)")
	}
	gitBase, repos := serveGitFiles(t, remoteRepo, "v1")
	tarball := tarGz(t, remoteRepo)
	mux := http.NewServeMux()
	// the same repository over Git's smart HTTP (what https://…/r.git
	// URLs use, without TLS here)
	backend, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/git/", &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(backend)), "git-http-backend"),
		Root: "/git",
		Env:  []string{"GIT_PROJECT_ROOT=" + repos, "GIT_HTTP_EXPORT_ALL=1"},
	})
	mux.HandleFunc("/def.tar.gz", func(w http.ResponseWriter, r *http.Request) { w.Write(tarball) })
	mux.HandleFunc("/plain.hcl", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "target \"default\" {\n  context = \"sub\"\n  output = [\"type=cacheonly\"]\n}\n")
	})
	mux.HandleFunc("/broken.tar.gz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "this is not a tarball {\n") })
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)
	engineAddr, _ := serveFreshEngine(t, "")
	cfg := t.TempDir()
	run := func(dir string, env []string, name string, args ...string) (stdout, all string, code int) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "BUILDX_CONFIG="+cfg, "KILN_ROOT="+filepath.Join(cfg, "kiln"), "XDG_STATE_HOME="+filepath.Join(cfg, "state"))
		cmd.Env = append(cmd.Env, env...)
		var out, both bytes.Buffer
		cmd.Stdout = &multi{&out, &both}
		cmd.Stderr = &both
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%s: %v", name, err)
		}
		return out.String(), both.String(), cmd.ProcessState.ExitCode()
	}
	if _, out, code := run("/", nil, buildx, "create", "--name", "kilnremote", "--driver", "remote", engineAddr); code != 0 {
		t.Fatalf("buildx create: %s", out)
	}
	bx := func(dir string, env []string, args ...string) (string, string, int) {
		return run(dir, env, buildx, append([]string{"bake", "--builder", "kilnremote", "--progress=plain"}, args...)...)
	}
	kiln := func(dir string, env []string, args ...string) (string, string, int) {
		return run(dir, env, kilnBin, append([]string{"bake", "--builder", engineAddr, "--progress=plain"}, args...)...)
	}

	// A local file read beside the remote ones (cwd://), and a local
	// Dockerfile name a remote target must not silently skip.
	local := t.TempDir()
	writeFiles(t, local, map[string]string{"local.hcl": "target \"sub\" {\n  tags = [\"kiln.test/sub:local\"]\n}\n"})

	git := gitBase + "#main"
	t.Run("print", func(t *testing.T) {
		cases := [][]string{
			{"--print", git},
			{"--print", gitBase},
			{"--print", git, "root", "sub", "named", "cmd"},
			{"--print", gitBase + "#v1:defs"},
			{"--print", "-f", "docker-bake.hcl", "-f", "extra.hcl", "-f", "cwd://local.hcl", git, "sub", "extra"},
			{"--print", "--set", "*.platform=linux/arm64", "--var", "WHO=me", git, "root"},
			{"--print", git, gitBase + "#v1:sub", "cmd"}, // the second URL is BAKE_CMD_CONTEXT
			{"--print", web.URL + "/plain.hcl"},
			{"--print", web.URL + "/git/repo.git#v1", "root", "sub", "named"},
			{"--list", "targets", git},
			{"--list", "type=variables,format=json", git},
		}
		for _, args := range cases {
			bOut, bAll, bCode := bx(local, nil, args...)
			kOut, kAll, kCode := kiln(local, nil, args...)
			if bCode != 0 {
				t.Fatalf("buildx bake %v failed:\n%s", args, tail(bAll, 20))
			}
			if kCode != 0 {
				t.Errorf("kiln bake %v failed:\n%s", args, tail(kAll, 20))
				continue
			}
			if bOut == "" || bOut != kOut {
				t.Errorf("bake %v: outputs differ\nbuildx:\n%s\nkiln:\n%s", args, bOut, kOut)
			}
		}
	})

	t.Run("build", func(t *testing.T) {
		// The metadata of a default build: the provenance records the
		// same solve (the remote contexts passed the same way).
		bDir, kDir := t.TempDir(), t.TempDir()
		for _, d := range []struct {
			dir string
			f   func(string, []string, ...string) (string, string, int)
		}{{bDir, bx}, {kDir, kiln}} {
			if _, all, code := d.f(d.dir, nil, "--metadata-file", "md.json", git); code != 0 {
				t.Fatalf("bake %s failed:\n%s", git, tail(all, 30))
			}
		}
		bm, _ := readMetadata(t, filepath.Join(bDir, "md.json"))
		km, _ := readMetadata(t, filepath.Join(kDir, "md.json"))
		for _, name := range []string{"root", "sub", "named"} {
			if !slices.Equal(keys(bm[name]), keys(km[name])) {
				t.Errorf("%s: metadata keys buildx %v, kiln %v", name, keys(bm[name]), keys(km[name]))
			}
			b, k := bm[name]["buildx.build.provenance"], km[name]["buildx.build.provenance"]
			if len(b) == 0 || len(k) == 0 {
				t.Fatalf("%s: no provenance in the metadata (buildx %d bytes, kiln %d)", name, len(b), len(k))
			}
			if a, b := provenanceParams(t, b), provenanceParams(t, k); a != b {
				t.Errorf("%s: provenance differs:\nbuildx %s\nkiln   %s", name, a, b)
			}
		}
		// Reproducible: the same images.
		env := []string{"SOURCE_DATE_EPOCH=0", "BUILDX_NO_DEFAULT_ATTESTATIONS=1"}
		for _, d := range []struct {
			dir string
			f   func(string, []string, ...string) (string, string, int)
		}{{bDir, bx}, {kDir, kiln}} {
			if _, all, code := d.f(d.dir, env, "--metadata-file", "md2.json", git); code != 0 {
				t.Fatalf("bake %s failed:\n%s", git, tail(all, 30))
			}
		}
		bd, _ := readMetadata(t, filepath.Join(bDir, "md2.json"))
		kd, _ := readMetadata(t, filepath.Join(kDir, "md2.json"))
		for _, name := range []string{"root", "sub", "named"} {
			b, k := string(bd[name]["containerimage.digest"]), string(kd[name]["containerimage.digest"])
			if b == "" || b != k {
				t.Errorf("%s: image digest buildx %v, kiln %v", name, b, k)
			}
		}
		// and the files are the remote ones, not this directory's
		files := readOCITar(t, filepath.Join(kDir, "out", "named.tar")).images(t)
		if len(files) != 1 {
			t.Fatalf("named: %d images, want 1", len(files))
		}
		for _, img := range files {
			tree := img.files(t)
			if tree["lib/s"] != remoteRepo["sub/s"] || tree["top/hello"] != remoteRepo["hello"] {
				t.Errorf("named: image files %v, want lib/s and top/hello from the repository", tree)
			}
		}
	})

	t.Run("policy", func(t *testing.T) {
		// Dockerfile.rego beside the remote Dockerfile, for the URL as
		// context and for a folder of it, and a policy file named by the
		// target: read from the remote source, as buildx reads them.
		for _, c := range []struct {
			target   string
			wantFail bool
		}{{"root", true}, {"app", true}, {"approved", false}, {"extra", true}} {
			t.Run(c.target, func(t *testing.T) {
				url := gitBase + "#main:pol"
				_, bAll, bCode := bx(t.TempDir(), nil, url, c.target)
				_, kAll, kCode := kiln(t.TempDir(), nil, url, c.target)
				if (bCode != 0) != c.wantFail {
					t.Fatalf("buildx exit %d, want failure %v:\n%s", bCode, c.wantFail, tail(bAll, 20))
				}
				if (kCode != 0) != (bCode != 0) {
					t.Fatalf("buildx exit %d, kiln exit %d\nkiln:\n%s", bCode, kCode, tail(kAll, 20))
				}
				if want, got := policyLines(bAll), policyLines(kAll); !slices.Equal(want, got) || c.wantFail && len(want) == 0 {
					t.Errorf("Policy: lines: buildx %q, kiln %q", want, got)
				}
				if bCode != 0 && !strings.Contains(kAll, lastErrorLine(bAll)) {
					t.Errorf("kiln's output lacks buildx's error %q:\n%s", lastErrorLine(bAll), tail(kAll, 10))
				}
			})
		}
	})

	t.Run("tarball", func(t *testing.T) {
		// buildx v0.38.2 cannot read an archive ("invalid input type
		// *llb.State for copy"); kiln unpacks it as buildx means to, and
		// its targets build from the unpacked folders.
		_, bAll, bCode := bx(t.TempDir(), nil, "--print", web.URL+"/def.tar.gz", "sub")
		if bCode == 0 || !strings.Contains(bAll, "invalid input type *llb.State for copy") {
			t.Logf("buildx now reads tarball definitions (exit %d): compare kiln's --print with it\n%s", bCode, tail(bAll, 10))
		}
		dir := t.TempDir()
		out, all, code := kiln(dir, nil, "--print", web.URL+"/def.tar.gz", "sub")
		if code != 0 || !strings.Contains(out, `"context": ""`) || !strings.Contains(out, `"dest": "out/sub.tar"`) {
			t.Fatalf("kiln --print of the tarball (exit %d):\n%s", code, tail(all, 20))
		}
		if _, all, code := kiln(dir, nil, web.URL+"/def.tar.gz", "sub"); code != 0 {
			t.Fatalf("kiln bake of the tarball's sub failed:\n%s", tail(all, 20))
		}
		for _, img := range readOCITar(t, filepath.Join(dir, "out", "sub.tar")).images(t) {
			if got := img.files(t)["s"]; got != remoteRepo["sub/s"] {
				t.Errorf("sub from the tarball: /s is %q, want %q", got, remoteRepo["sub/s"])
			}
		}
		// the definition's root: buildx's updateContext leaves a
		// tarball's "." empty, and the build refuses it as buildx's does
		_, all, code = kiln(dir, nil, web.URL+"/def.tar.gz", "root")
		if code == 0 || !strings.Contains(all, "please specify build context") {
			t.Errorf("kiln bake of the tarball's root: exit %d, want buildx's refusal:\n%s", code, tail(all, 10))
		}
	})

	t.Run("errors", func(t *testing.T) {
		closed := closedPort(t)
		cases := []struct {
			name, url string
			want      string // the cause, in buildx's output and kiln's error line
		}{
			{"missing-ref", gitBase + "#nope", "repository does not contain ref nope"},
			{"missing-subdir", gitBase + "#main:nosuch", "nosuch"},
			{"git-not-answering", fmt.Sprintf("git://127.0.0.1:%d/repo.git", closed), "errno=Connection refused"},
			{"http-not-answering", fmt.Sprintf("http://127.0.0.1:%d/def.tar.gz", closed), "connect: connection refused"},
			{"http-404", web.URL + "/nothere.tar.gz", "invalid response status 404"},
			{"not-a-tarball", web.URL + "/broken.tar.gz", "Unclosed configuration block"},
		}
		// a target with the local context and a Dockerfile of that name
		// here: buildx refuses rather than read the remote one
		withDockerfile := t.TempDir()
		writeFiles(t, withDockerfile, map[string]string{"cmd.Dockerfile": "FROM scratch\n"})
		_, bAll, bCode := bx(withDockerfile, nil, "--print", git, "cmd")
		_, kAll, kCode := kiln(withDockerfile, nil, "--print", git, "cmd")
		const refused = "reading a dockerfile for a remote build invocation is currently not supported"
		if bCode == 0 || kCode == 0 || !strings.Contains(lastErrorLine(bAll), refused) || !strings.Contains(strings.Join(errorLines(kAll), "\n"), refused) {
			t.Errorf("local Dockerfile with a remote definition: buildx exit %d, kiln exit %d\nbuildx:\n%s\nkiln:\n%s", bCode, kCode, tail(bAll, 5), tail(kAll, 5))
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, bAll, bCode := bx(t.TempDir(), nil, "--print", c.url)
				_, kAll, kCode := kiln(t.TempDir(), nil, "--print", c.url)
				if bCode == 0 || kCode == 0 {
					t.Fatalf("want both to fail: buildx exit %d, kiln exit %d\n%s", bCode, kCode, tail(kAll, 10))
				}
				if !strings.Contains(bAll, c.want) {
					t.Fatalf("buildx's output lacks %q:\n%s", c.want, tail(bAll, 15))
				}
				lines := errorLines(kAll)
				if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
					t.Errorf("kiln: want one error line with %q, got %q\n%s", c.want, lines, tail(kAll, 10))
				}
				if msg := lastErrorLine(bAll); msg != "couldn't find a bake definition" && !strings.Contains(lines[0], oneLineMsg(msg)) {
					t.Errorf("kiln's error %q lacks buildx's %q", lines[0], msg)
				}
			})
		}
	})
}

// errorLines are kiln's "ERROR: " lines.
func errorLines(out string) []string {
	var l []string
	for _, s := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(s, "ERROR: "); ok {
			l = append(l, v)
		}
	}
	return l
}

// oneLineMsg is buildx's first error line without "failed to solve: ".
func oneLineMsg(s string) string {
	return strings.TrimPrefix(s, "failed to solve: ")
}

type multi []*bytes.Buffer

func (m *multi) Write(p []byte) (int, error) {
	for _, b := range *m {
		b.Write(p)
	}
	return len(p), nil
}

// serveGitFiles commits files to a repository (branch main, the tags
// given), serves it with `git daemon` on 127.0.0.1 and returns its URL
// without a ref, and the directory holding the bare repo.git.
func serveGitFiles(t *testing.T, files map[string]string, tags ...string) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	base := t.TempDir()
	work := t.TempDir()
	writeFiles(t, work, files)
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=kiln", "GIT_AUTHOR_EMAIL=kiln@example.com", "GIT_COMMITTER_NAME=kiln", "GIT_COMMITTER_EMAIL=kiln@example.com",
			"GIT_AUTHOR_DATE=2001-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2001-01-01T00:00:00Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(work, "init", "-q", "-b", "main")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "init")
	for _, tag := range tags {
		git(work, "tag", tag)
	}
	git(base, "clone", "-q", "--bare", work, filepath.Join(base, "repo.git"))
	port := closedPort(t)
	d := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), "--base-path="+base, base)
	// git daemon forks a child per connection: its own process group is
	// ended as a whole.
	d.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-d.Process.Pid, syscall.SIGKILL); d.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("git daemon did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "git://" + addr + "/repo.git", base
}

// closedPort is a TCP port on 127.0.0.1 nothing listens on (just freed).
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// tarGz is files as a gzip-compressed tar archive, in name order.
func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	dirs := map[string]bool{}
	for _, n := range names {
		for d := filepath.Dir(n); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
