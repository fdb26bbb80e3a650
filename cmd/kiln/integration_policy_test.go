package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/buildkit/client"
)

// TestIntegrationPolicyParity runs the same bake files with Rego build
// policies through buildx v0.38.2 (driver remote) and kiln, both on one
// `kiln engine serve`, and requires the same pass or fail, the same error
// line and the same "Policy:" lines for each case.
func TestIntegrationPolicyParity(t *testing.T) {
	requireIntegration(t)
	buildx := findBuildx()
	if buildx == "" {
		t.Skip("needs buildx v0.38.2 (go install github.com/docker/buildx/cmd/buildx@v0.38.2, or KILN_TEST_BUILDX)")
	}
	gitURL := serveGitRepo(t)
	engineAddr, _ := serveFreshEngine(t, "")
	cfg := t.TempDir()
	run := func(dir string, env []string, name string, args ...string) (string, int) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "BUILDX_CONFIG="+cfg, "KILN_ROOT="+filepath.Join(cfg, "kiln"), "XDG_STATE_HOME="+filepath.Join(cfg, "state")), env...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%s: %v", name, err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	if out, code := run("/", nil, buildx, "create", "--name", "kilnpolicy", "--driver", "remote", engineAddr); code != 0 {
		t.Fatalf("buildx create: %s", out)
	}

	// An image in the local registry, with a label a policy can only read
	// by resolving the image's config (the policy's source resolver).
	reg := testRegistry(t)
	labelled := fmt.Sprintf("%s/kiln-it/policy-%s:v1", reg.Addr, nonce())
	{
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			"Dockerfile":      "FROM scratch\nLABEL com.example.ok=yes\nCOPY foo /foo\n",
			"foo":             nonce(),
			"docker-bake.hcl": fmt.Sprintf("target \"default\" {\n  tags = [%q]\n}\n", labelled),
		})
		if out, code := run(dir, nil, kilnBin, "bake", "--builder", engineAddr, "--push"); code != 0 {
			t.Fatalf("pushing %s: %s", labelled, tail(out, 20))
		}
	}
	needImageLabel := `package docker

default allow := false

allow if input.local
allow if input.image.labels["com.example.ok"] == "yes"

decision := {"allow": allow}
`
	allowLocal := `package docker

default allow := false

allow if input.local
allow if {
  input.git
  not startswith(input.git.remote, "git://127.0.0.1:")
}

deny_msg contains msg if {
  input.git
  startswith(input.git.remote, "git://127.0.0.1:")
  msg := sprintf("git source %s is not approved", [input.git.remote])
}

decision := {"allow": allow, "deny_msg": deny_msg}
`
	needLabel := `package docker

default allow := false

allow if input.env.labels["com.example.approved"] == "1"

deny_msg contains "label com.example.approved=1 is required" if not allow

decision := {"allow": allow, "deny_msg": deny_msg}
`
	cases := []struct {
		name     string
		files    map[string]string
		targets  string
		args     []string
		wantFail bool
		// wantMsg is a part of buildx's error or Policy: lines the case
		// must show, so that a comparison of nothing cannot pass.
		wantMsg string
		env     []string
		// wantLog is a line of the "loading policies" step both must show
		// ("" for none: then neither may show the step).
		wantLog string
		// bake replaces the one-target bake file; progress is the
		// --progress mode (plain unless set: plain or rawjson).
		bake, progress string
	}{
		{name: "allow", files: map[string]string{"Dockerfile.rego": allowLocal}, targets: `output = ["type=cacheonly"]`,
			wantLog: "loading policies Dockerfile.rego"},
		{name: "deny-git", files: map[string]string{"Dockerfile.rego": allowLocal, "Dockerfile": "FROM scratch\nADD " + gitURL + " /src\n"},
			targets: `output = ["type=cacheonly"]`, wantFail: true, wantMsg: "Policy: git source git://127.0.0.1:", wantLog: "ERROR: "},
		{name: "extra-policy-deny", files: map[string]string{"extra.rego": needLabel},
			targets: `policy = [{ filename = "extra.rego" }]
  output = ["type=cacheonly"]`, wantFail: true, wantMsg: "Policy: label com.example.approved=1 is required", wantLog: "policy decision for source"},
		{name: "extra-policy-allow", files: map[string]string{"extra.rego": needLabel},
			targets: `policy = [{ filename = "extra.rego", strict = true }]
  labels = { "com.example.approved" = "1" }
  output = ["type=cacheonly"]`, wantLog: "checking policy for source"},
		{name: "log-level-debug", files: map[string]string{"extra.rego": needLabel},
			targets: `policy = [{ filename = "extra.rego", log-level = "debug" }]
  labels = { "com.example.approved" = "1" }
  output = ["type=cacheonly"]`, wantLog: "policy input: "},
		{name: "env-args", files: map[string]string{"Dockerfile.rego": "package docker\n\ndefault allow := true\n\nallow if print(\"args\", input.env.args)\n\ndecision := {\"allow\": allow}\n"},
			env: []string{"SOURCE_DATE_EPOCH=0"}, targets: `args = { A = "1" }
  output = ["type=cacheonly"]`, wantLog: `Dockerfile.rego:5: args {"A": "1", "SOURCE_DATE_EPOCH": "0"}`},
		{name: "log-level-warn", files: map[string]string{"extra.rego": needLabel},
			targets: `policy = [{ filename = "extra.rego", log-level = "warn" }]
  labels = { "com.example.approved" = "1" }
  output = ["type=cacheonly"]`},
		{name: "log-level-flag", files: map[string]string{"Dockerfile.rego": allowLocal},
			targets: `output = ["type=cacheonly"]`, args: []string{"--policy", "log-level=error"}},
		{name: "print", files: map[string]string{"Dockerfile.rego": "package docker\n\ndefault allow := true\n\nallow if print(\"source\", input)\n\ndecision := {\"allow\": allow}\n"},
			targets: `output = ["type=cacheonly"]`, wantLog: "Dockerfile.rego:5: source"},
		{name: "default-policy", files: map[string]string{"Dockerfile.rego": allowLocal}, env: []string{"BUILDX_DEFAULT_POLICY=1"},
			targets: `output = ["type=cacheonly"]`, wantLog: "loading policies buildx_default_policy.rego, Dockerfile.rego"},
		{name: "default-policy-disabled", files: map[string]string{"Dockerfile.rego": needLabel}, env: []string{"BUILDX_DEFAULT_POLICY=true"},
			targets: `output = ["type=cacheonly"]`, args: []string{"--policy", "disabled=true"}},
		{name: "strict-flag", files: map[string]string{"Dockerfile.rego": needLabel},
			targets: `output = ["type=cacheonly"]`, args: []string{"--policy", "strict=true"}, wantFail: true, wantMsg: "not allowed by policy", wantLog: "ERROR: "},
		{name: "disabled", files: map[string]string{"Dockerfile.rego": needLabel},
			targets: `policy = [{ disabled = true }]
  output = ["type=cacheonly"]`},
		{name: "disabled-flag", files: map[string]string{"extra.rego": needLabel},
			targets: `policy = [{ filename = "extra.rego" }]
  output = ["type=cacheonly"]`, args: []string{"--policy", "disabled=true"}},
		{name: "reset", files: map[string]string{"Dockerfile.rego": needLabel, "extra.rego": allowLocal},
			targets: `policy = [{ filename = "extra.rego", reset = true }]
  output = ["type=cacheonly"]`, wantLog: "loading policies extra.rego"},
		{name: "two-targets", files: map[string]string{"Dockerfile.rego": allowLocal, "extra.rego": needLabel},
			bake: `group "default" { targets = ["a", "b"] }
target "a" { output = ["type=cacheonly"] }
target "b" {
  policy = [{ filename = "extra.rego" }]
  labels = { "com.example.approved" = "1" }
  output = ["type=cacheonly"]
}
`, wantLog: "loading policies Dockerfile.rego, extra.rego"},
		{name: "rawjson", files: map[string]string{"Dockerfile.rego": allowLocal, "Dockerfile": "FROM scratch\nADD " + gitURL + " /src\n"},
			targets: `output = ["type=cacheonly"]`, progress: "rawjson", wantFail: true, wantLog: "policy decision for source git://127.0.0.1:"},
		{name: "resolve-image", files: map[string]string{"Dockerfile.rego": needImageLabel, "Dockerfile": "FROM " + labelled + "\nCOPY foo /foo\n"},
			// The image config resolved for the policy shows as in buildx.
			targets: `output = ["type=cacheonly"]`, wantLog: "resolve missing fields", wantMsg: "resolve image config for docker-image://" + labelled},
		{name: "eval-error", files: map[string]string{"Dockerfile.rego": "package docker\n\nn := 1 if input.local\nn := 2 if input.local\n\ndecision := {\"allow\": true} if not input.local\ndecision := {\"allow\": n == 1} if input.local\n"},
			targets: `output = ["type=cacheonly"]`, wantFail: true, wantMsg: "eval_conflict_error", wantLog: "checking policy for source local://"},
		{name: "missing-file", files: map[string]string{},
			targets: `policy = [{ filename = "nope.rego" }]
  output = ["type=cacheonly"]`, wantFail: true, wantMsg: "policy file nope.rego not found"},
		{name: "syntax-error", files: map[string]string{"Dockerfile.rego": "package docker\n\nallow if {\n  input.local ==\n}\n"},
			targets: `output = ["type=cacheonly"]`, wantFail: true, wantMsg: "Dockerfile.rego:5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				"Dockerfile":      "FROM scratch\nCOPY foo /foo\n",
				"foo":             nonce(),
				"docker-bake.hcl": "target \"default\" {\n  " + c.targets + "\n}\n",
			}
			if c.bake != "" {
				files["docker-bake.hcl"] = c.bake
			}
			for k, v := range c.files {
				files[k] = v
			}
			writeFiles(t, dir, files)
			mode, steps := "plain", policyProgress
			if c.progress == "rawjson" {
				mode, steps = c.progress, policyProgressJSON
			}
			bxOut, bxCode := run(dir, c.env, buildx, append([]string{"bake", "--builder", "kilnpolicy", "--progress=" + mode}, c.args...)...)
			kOut, kCode := run(dir, c.env, kilnBin, append([]string{"bake", "--builder", engineAddr, "--progress=" + mode}, c.args...)...)
			if (bxCode != 0) != c.wantFail {
				t.Fatalf("buildx exit %d, want failure %v:\n%s", bxCode, c.wantFail, tail(bxOut, 30))
			}
			if (kCode != 0) != (bxCode != 0) {
				t.Fatalf("buildx exit %d, kiln exit %d\nbuildx:\n%s\nkiln:\n%s", bxCode, kCode, tail(bxOut, 20), tail(kOut, 20))
			}
			if c.wantMsg != "" && (!strings.Contains(bxOut, c.wantMsg) || !strings.Contains(kOut, c.wantMsg)) {
				t.Errorf("want %q in both outputs\nbuildx:\n%s\nkiln:\n%s", c.wantMsg, tail(bxOut, 15), tail(kOut, 15))
			}
			if want, got := policyLines(bxOut), policyLines(kOut); !slices.Equal(want, got) {
				t.Errorf("Policy: lines differ\nbuildx: %q\nkiln:   %q", want, got)
			}
			bxLog, kLog := steps(bxOut), steps(kOut)
			if !slices.Equal(bxLog, kLog) {
				t.Errorf("policy progress differs\nbuildx: %q\nkiln:   %q", bxLog, kLog)
			}
			if c.wantLog == "" && len(bxLog) > 0 {
				t.Errorf("buildx shows a policy step: %q", bxLog)
			}
			if c.wantLog != "" && !slices.ContainsFunc(bxLog, func(l string) bool { return strings.Contains(l, c.wantLog) }) {
				t.Errorf("buildx's policy step lacks %q: %q", c.wantLog, bxLog)
			}
			if bxCode != 0 {
				msg := lastErrorLine(bxOut)
				if msg == "" {
					t.Fatalf("buildx printed no ERROR line:\n%s", tail(bxOut, 20))
				}
				if !strings.Contains(kOut, msg) {
					t.Errorf("kiln's output lacks buildx's error %q:\n%s", msg, tail(kOut, 20))
				}
			}
		})
	}
}

var errorLineRe = regexp.MustCompile(`(?m)^ERROR: (.*)$`)

// lastErrorLine is buildx's final error message, without "ERROR: ".
func lastErrorLine(out string) string {
	m := errorLineRe.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return ""
	}
	return strings.TrimPrefix(m[len(m)-1][1], "target default: ")
}

// policyLines are the "Policy: ..." lines printed for denied sources.
func policyLines(out string) []string {
	var l []string
	for _, s := range strings.Split(out, "\n") {
		if strings.HasPrefix(s, "Policy: ") {
			l = append(l, s)
		}
	}
	slices.Sort(l)
	return slices.Compact(l)
}

var (
	stepLineRe = regexp.MustCompile(`^#(\d+) (.*)$`)
	logTimeRe  = regexp.MustCompile(`^\d+\.\d+ `)
	doneRe     = regexp.MustCompile(`^DONE \d+\.\d+s$`)
	pointerRe  = regexp.MustCompile(`0x[0-9a-f]+`)
	// policyStepRe is the step's name. buildx does not put the target in
	// front of it even when a bake builds several; one in front is
	// matched too, so that it shows as a difference.
	policyStepRe = regexp.MustCompile(`^(\[[^\]]+\] )?loading policies `)
)

// policyProgress is what the plain progress shows of the "loading
// policies" step: its name, its log lines without their times and its
// DONE/ERROR lines, sorted and without repeats (the policy checks sources as
// BuildKit asks, in an order that may vary). The step opens and closes
// in half-second windows while the policy logs, so how often it is
// printed depends on timing; which lines it shows does not.
func policyProgress(out string) []string {
	steps := map[string]bool{}
	var l []string
	for _, s := range strings.Split(out, "\n") {
		m := stepLineRe.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		if policyStepRe.MatchString(m[2]) {
			steps[m[1]] = true
		}
		if !steps[m[1]] {
			continue
		}
		line := logTimeRe.ReplaceAllString(m[2], "")
		line = doneRe.ReplaceAllString(line, "DONE")
		// "..." is the plain display's mark for a step it comes back to,
		// the debug lines print Go pointers: both vary from run to run.
		if line == "..." {
			continue
		}
		l = append(l, pointerRe.ReplaceAllString(line, "0x"))
	}
	slices.Sort(l)
	return slices.Compact(l)
}

// policyProgressJSON is policyProgress for --progress=rawjson: the names
// and errors of the "loading policies" vertices and their log lines, as
// they come in BuildKit's SolveStatus JSON.
func policyProgressJSON(out string) []string {
	steps := map[string]bool{}
	var l []string
	for _, s := range strings.Split(out, "\n") {
		var st client.SolveStatus
		if json.Unmarshal([]byte(s), &st) != nil {
			continue
		}
		for _, v := range st.Vertexes {
			if policyStepRe.MatchString(v.Name) {
				steps[v.Digest.String()] = true
				l = append(l, v.Name)
				if v.Error != "" {
					l = append(l, "ERROR: "+v.Error)
				}
			}
		}
		for _, g := range st.Logs {
			if steps[g.Vertex.String()] {
				l = append(l, strings.Split(strings.TrimSuffix(string(g.Data), "\n"), "\n")...)
			}
		}
	}
	slices.Sort(l)
	return slices.Compact(l)
}

// serveGitRepo serves a one-commit repository with `git daemon` on
// 127.0.0.1 and returns its URL (branch main).
func serveGitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	base := t.TempDir()
	repo := filepath.Join(base, "repo.git")
	work := t.TempDir()
	writeFiles(t, work, map[string]string{"hello": "hello from git\n"})
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=kiln", "GIT_AUTHOR_EMAIL=kiln@example.com", "GIT_COMMITTER_NAME=kiln", "GIT_COMMITTER_EMAIL=kiln@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(work, "init", "-q", "-b", "main")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "init")
	git(base, "clone", "-q", "--bare", work, repo)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	d := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), "--base-path="+base, base)
	// git daemon forks a child per connection: its own process group is
	// ended as a whole.
	d.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-d.Process.Pid, syscall.SIGKILL); d.Wait() })
	return fmt.Sprintf("git://127.0.0.1:%d/repo.git#main", port)
}
