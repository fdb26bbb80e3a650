package solve_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/buildx/util/buildflags"
	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/solve"
	"github.com/kiln-build/kiln/internal/testenv"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestIntegrationRunOptions(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := project(t, map[string]string{
		"id_test": string(pem.EncodeToMemory(block)),
		"Dockerfile": baseStage + `FROM base
RUN --mount=type=ssh,id=key mkdir /out && \
    grep -q 'kiln-host' /etc/hosts && echo hosts-ok >> /out/r && \
    test "$(ulimit -n)" = 1234 && echo ulimit-ok >> /out/r && \
    df -k /dev/shm | grep -q ' 65536 ' && echo shm-ok >> /out/r && \
    test -S "$SSH_AUTH_SOCK" && echo ssh-ok >> /out/r && \
    test "$(grep -c : /proc/net/dev)" = 1 && echo network-none-ok >> /out/r
FROM scratch
COPY --from=1 /out/r /r
`,
	})
	rep := build(t, dir, plan(t, `{"target":{"opts": {
		"extra-hosts":{"kiln-host":"10.11.12.13"},
		"ulimits":["nofile=1234:1234"],
		"shm-size":"64m",
		"network":"none",
		"ssh":[{"id":"key","paths":["`+filepath.Join(dir, "id_test")+`"]}],
		"output":[{"type":"local","dest":"out"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	got := testenv.ReadFile(t, filepath.Join(dir, "out/r"))
	want := "hosts-ok\nulimit-ok\nshm-ok\nssh-ok\nnetwork-none-ok\n"
	if got != want {
		t.Errorf("checks inside the build:\n%s\nwant:\n%s", got, want)
	}
}

func TestIntegrationCall(t *testing.T) {
	dir := project(t, map[string]string{
		"Dockerfile":      "FROM scratch AS one\nARG FOO=bar\nFROM one AS two\nCOPY missing.txt /\n",
		"lint.Dockerfile": "from scratch as Bad\n",
	})
	rep := build(t, dir, plan(t, `{"target":{
		"outline": {"call":"outline","output":[{"type":"local","dest":"never"}]},
		"targets": {"call":"targets"},
		"check": {"call":"check","dockerfile":"lint.Dockerfile"}
	}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	var out strings.Builder
	code := report.PrintCallResults(&out, rep, report.CallPlan{Descriptions: map[string]string{"targets": "stages of the Dockerfile"}}, nil)
	s := out.String()
	for _, want := range []string{"outline\n", "FOO", "targets\nstages of the Dockerfile\n", "one", "two", "check\n", "warning"} {
		if !strings.Contains(s, want) {
			t.Errorf("call output lacks %q:\n%s", want, s)
		}
	}
	t.Logf("call output (exit %d):\n%s", code, s)
	if code != 1 { // the check found a warning
		t.Errorf("exit code %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); err == nil {
		t.Errorf("a --call target exported its output")
	}

	// --call=...,format=json: one document with every target's definition and result.
	out.Reset()
	p := report.CallPlan{Targets: map[string]any{"outline": &bake.Target{}, "targets": &bake.Target{}, "check": &bake.Target{}}}
	report.PrintCallResults(&out, rep, p, &buildflags.CallFunc{Name: "outline", Format: "json"})
	var doc struct {
		Target map[string]map[string]json.RawMessage `json:"target"`
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("json call output: %v\n%s", err, out.String())
	}
	if _, ok := doc.Target["outline"]["outline"]; !ok {
		t.Errorf("no outline result: %s", out.String())
	}
	if _, ok := doc.Target["check"]["check"]; !ok {
		t.Errorf("no check result: %s", out.String())
	}
	if _, ok := doc.Target["targets"]["build"]; !ok {
		t.Errorf("no build definition: %s", out.String())
	}
}

func TestIntegrationResources(t *testing.T) {
	dir := project(t, map[string]string{
		"Dockerfile": baseStage + "FROM base\nRUN mkdir /out && (cat /sys/fs/cgroup/memory.max || cat /sys/fs/cgroup/memory/memory.limit_in_bytes) > /out/memory.max\nFROM scratch\nCOPY --from=1 /out/ /\n",
	})
	rep := build(t, dir, plan(t, `{"target":{"limited": {"resources":{"memory":"96m"},"output":[{"type":"local","dest":"out"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	if got := strings.TrimSpace(testenv.ReadFile(t, filepath.Join(dir, "out/memory.max"))); got != "100663296" {
		t.Errorf("memory.max inside RUN = %q, want 96m", got)
	}
}

// TestIntegrationSSHAgent forwards an SSH agent socket (the `default` kind
// of ssh entry) and checks the build sees the agent's key.
func TestIntegrationSSHAgent(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key, Comment: "kiln-test-key"}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); agent.ServeAgent(keyring, c) }()
		}
	}()
	// busybox has no SSH client: a small static program lists the
	// forwarded agent's keys from inside the build.
	dir := project(t, map[string]string{
		"tool/go.mod": "module agentlist\n\ngo 1.22\n",
		"tool/main.go": `package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	c, err := net.Dial("unix", os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	c.Write([]byte{0, 0, 0, 1, 11}) // SSH_AGENTC_REQUEST_IDENTITIES
	var n uint32
	binary.Read(c, binary.BigEndian, &n)
	b := make([]byte, n)
	io.ReadFull(c, b)
	os.Stdout.Write(b)
}
`,
		"Dockerfile": baseStage + `FROM base
COPY agentlist /bin/agentlist
RUN --mount=type=ssh mkdir /out && agentlist > /out/answer
FROM scratch
COPY --from=1 /out/ /
`,
	})
	gobuild := exec.Command("go", "build", "-o", filepath.Join(dir, "agentlist"), ".")
	gobuild.Dir = filepath.Join(dir, "tool")
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("building the agent client: %v\n%s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	rep := build(t, dir, plan(t, `{"target":{"agent": {"ssh":[{"id":"default"}],"output":[{"type":"local","dest":"out"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	if got := testenv.ReadFile(t, filepath.Join(dir, "out/answer")); !strings.Contains(got, "kiln-test-key") {
		t.Errorf("agent answer inside the build lacks the key: %q", got)
	}
}

func TestIntegrationSourcePolicy(t *testing.T) {
	node := integrationNode(t)
	dir := project(t, map[string]string{
		"Dockerfile":  "FROM alpine:3.19\nRUN true\n",
		"policy.json": `{"rules":[{"action":"DENY","selector":{"identifier":"docker-image://docker.io/library/alpine:*","match_type":"WILDCARD"}}]}`,
	})
	pol, err := solve.ReadSourcePolicy(func(k string) (string, bool) {
		if k == "EXPERIMENTAL_BUILDKIT_SOURCE_POLICY" {
			return filepath.Join(dir, "policy.json"), true
		}
		return "", false
	})
	if err != nil || pol == nil || len(pol.Rules) != 1 {
		t.Fatalf("policy %v %v", pol, err)
	}
	r, err := request.Translate("denied", solve.DecodeTarget(t, `{"output":[{"type":"cacheonly"}]}`), request.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := run(context.Background(), node, []*request.Request{r}, runOptions{Env: solve.Env{SourcePolicy: pol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("error: %v", rep.Outcomes[0].Err)
	if o := rep.Outcomes[0]; o.Status != schedule.Failed || !strings.Contains(o.Err.Error(), "denied by policy") {
		t.Errorf("a source the policy denies: %s %v", o.Status, o.Err)
	}
}
