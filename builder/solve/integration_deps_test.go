package solve_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/internal/testenv"
)

func TestIntegrationTargetContext(t *testing.T) {
	dir := project(t, map[string]string{
		"base.Dockerfile": baseStage + "FROM base\nENV GREETING=from-base\nRUN echo built-by-base > /marker\n",
		"app.Dockerfile":  "FROM base\nRUN mkdir /out && cat /marker > /out/marker && echo \"$GREETING\" > /out/env\nFROM scratch\nCOPY --from=0 /out/ /\n",
	})
	rep := build(t, dir, plan(t, `{"target":{
		"base": {"dockerfile":"base.Dockerfile","platforms":["linux/amd64","linux/arm64"],"output":[{"type":"cacheonly"}]},
		"app": {"dockerfile":"app.Dockerfile","platforms":["linux/amd64","linux/arm64"],"contexts":{"base":"target:base"},"output":[{"type":"local","dest":"out"}]}
	}}`), schedule.Execution{Mode: schedule.FailFast, Parallel: 1, ParallelSet: true})
	mustSucceed(t, rep)
	for _, p := range []string{"linux_amd64", "linux_arm64"} {
		if got := testenv.ReadFile(t, filepath.Join(dir, "out", p, "marker")); got != "built-by-base\n" {
			t.Errorf("%s marker = %q", p, got)
		}
		// The image config of the dependency (ENV) carries over, as in buildx.
		if got := testenv.ReadFile(t, filepath.Join(dir, "out", p, "env")); got != "from-base\n" {
			t.Errorf("%s env = %q", p, got)
		}
	}
	if _, ok := outcome(t, rep, "base").Response["containerimage.digest"]; ok {
		t.Errorf("base (cacheonly) was exported: %v", outcome(t, rep, "base").Response)
	}
}

func TestIntegrationSecret(t *testing.T) {
	const value = "s3cr3t-kiln-value"
	dir := project(t, map[string]string{
		"Dockerfile": baseStage + `FROM base
RUN --mount=type=secret,id=tok --mount=type=secret,id=fromenv,env=FROMENV --mount=type=bind,target=/expect \
    test "$(cat /run/secrets/tok)" = "$(cat /expect/tok.txt)" && test "$FROMENV" = "$(cat /expect/env.txt)" && echo seen > /seen
`,
		"tok.txt": value,
		"env.txt": value + "-env",
	})
	t.Setenv("KILN_TEST_SECRET", value+"-env")
	rep := build(t, dir, plan(t, `{"target":{"s": {
		"secret":[{"id":"tok","src":"`+filepath.Join(dir, "tok.txt")+`"},{"id":"fromenv","env":"KILN_TEST_SECRET"}],
		"output":[{"type":"oci","dest":"out.tar","compression":"uncompressed"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	img, err := os.ReadFile(filepath.Join(dir, "out.tar"))
	if err != nil {
		t.Fatal(err)
	}
	// The RUN saw the secret (it wrote /seen), yet no layer holds it.
	if !bytes.Contains(img, []byte("seen\n")) {
		t.Errorf("image lacks /seen: the RUN did not read the secret")
	}
	if bytes.Contains(img, []byte(value)) {
		t.Errorf("secret value found in the image")
	}
	var md bytes.Buffer
	if err := report.WriteMetadata(&md, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), value) {
		t.Errorf("secret value in metadata: %s", md.String())
	}
}

func TestIntegrationCacheMount(t *testing.T) {
	id := "kiln-test-" + time.Now().Format("150405.000000000")
	df := func(step string) string {
		return baseStage + "FROM base\nARG NONCE\nRUN --mount=type=cache,id=" + id + ",target=/cache " + step + "\nFROM scratch\nCOPY --from=1 /out /\n"
	}
	dir := project(t, map[string]string{
		"write.Dockerfile": df(`echo "$NONCE" > /cache/stamp && mkdir /out && echo wrote > /out/w`),
		"read.Dockerfile":  df(`mkdir /out && cp /cache/stamp /out/stamp`),
	})
	nonce := id + "-nonce"
	mustSucceed(t, build(t, dir, plan(t, `{"target":{"w": {"dockerfile":"write.Dockerfile","args":{"NONCE":"`+nonce+`"},"output":[{"type":"local","dest":"w"}]}}}`), schedule.Execution{Mode: schedule.FailFast}))
	mustSucceed(t, build(t, dir, plan(t, `{"target":{"r": {"dockerfile":"read.Dockerfile","args":{"NONCE":"`+nonce+`"},"output":[{"type":"local","dest":"r"}]}}}`), schedule.Execution{Mode: schedule.FailFast}))
	if got := testenv.ReadFile(t, filepath.Join(dir, "r/stamp")); got != nonce+"\n" {
		t.Errorf("cache mount content = %q, want the %q written by the earlier build", got, nonce)
	}
}

func TestIntegrationFailingRun(t *testing.T) {
	dir := project(t, map[string]string{
		"bad.Dockerfile":  baseStage + "FROM base\nRUN echo about-to-fail-7f3a && exit 3\n",
		"good.Dockerfile": baseStage + "FROM base\nRUN echo fine > /fine\nFROM scratch\nCOPY --from=1 /fine /\n",
	})
	rep := build(t, dir, plan(t, `{"target":{
		"bad": {"dockerfile":"bad.Dockerfile","output":[{"type":"cacheonly"}]},
		"good": {"dockerfile":"good.Dockerfile","output":[{"type":"local","dest":"good"}]},
		"uses-bad": {"dockerfile":"good.Dockerfile","contexts":{"x":"target:bad"},"output":[{"type":"local","dest":"never"}]}
	}}`), schedule.Execution{Mode: schedule.DeferError})
	bad := outcome(t, rep, "bad")
	if bad.Status != schedule.Failed || !strings.Contains(bad.Err.Error(), "exit code: 3") {
		t.Fatalf("bad: %s %v", bad.Status, bad.Err)
	}
	step, log := rep.FailedStep("bad")
	if !strings.Contains(step, "exit 3") || !strings.Contains(strings.Join(log, "\n"), "about-to-fail-7f3a") {
		t.Errorf("failed step %q log %q", step, log)
	}
	if o := outcome(t, rep, "good"); o.Status != schedule.Succeeded {
		t.Errorf("good: %s %v (defer-error must not cancel it)", o.Status, o.Err)
	}
	if o := outcome(t, rep, "uses-bad"); o.Status != schedule.Aborted {
		t.Errorf("uses-bad: %s %v", o.Status, o.Err)
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); err == nil {
		t.Errorf("uses-bad exported")
	}
	if !rep.Failed() {
		t.Errorf("report not failed")
	}
}

func TestIntegrationFailFast(t *testing.T) {
	dir := project(t, map[string]string{
		"bad.Dockerfile":  baseStage + "FROM base\nRUN exit 4\n",
		"slow.Dockerfile": baseStage + "FROM base\nARG N\nRUN sleep 60 && echo done > /done\nFROM scratch\nCOPY --from=1 /done /\n",
	})
	rep := build(t, dir, plan(t, `{"target":{
		"bad": {"dockerfile":"bad.Dockerfile","output":[{"type":"cacheonly"}]},
		"slow": {"dockerfile":"slow.Dockerfile","args":{"N":"`+time.Now().String()+`"},"output":[{"type":"local","dest":"slow"}]}
	}}`), schedule.Execution{Mode: schedule.FailFast})
	if o := outcome(t, rep, "bad"); o.Status != schedule.Failed {
		t.Fatalf("bad: %s %v", o.Status, o.Err)
	}
	if o := outcome(t, rep, "slow"); o.Status != schedule.Aborted {
		t.Errorf("slow: %s %v, want aborted by fail-fast", o.Status, o.Err)
	}
	if _, err := os.Stat(filepath.Join(dir, "slow")); err == nil {
		t.Errorf("slow exported although the run failed fast")
	}
}
