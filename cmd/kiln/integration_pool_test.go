package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// `kiln pool ls` on a pool file of two real `kiln engine serve` nodes and
// one that is not there: each node's state, BuildKit version, platforms
// (native first, then what qemu emulates here) and load.
func TestIntegrationPoolLs(t *testing.T) {
	dir := t.TempDir()
	var addrs []string
	for _, name := range []string{"a", "b"} {
		addr, _ := serveFreshEngine(t, filepath.Join(dir, name+".sock"))
		addrs = append(addrs, addr)
	}
	poolFile := filepath.Join(dir, "pool.hcl")
	os.WriteFile(poolFile, []byte(`node "a" {
  address    = "`+addrs[0]+`"
  max-solves = 3
}
node "b" {
  address   = "`+addrs[1]+`"
  platforms = ["linux/arm64"]
}
node "gone" {
  address = "unix://`+dir+`/none.sock"
}
`), 0o644)
	client := &kilnEnv{root: t.TempDir()}
	r := client.kiln(t, dir, "pool", "ls", "--pool", poolFile, "--timeout", "5s")
	if r.code != 0 {
		t.Fatalf("pool ls failed:\n%s", r.out)
	}
	lines := strings.Split(r.out, "\n")
	row := func(name string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, name+" ") {
				return l
			}
		}
		t.Fatalf("no row for %s:\n%s", name, r.out)
		return ""
	}
	if a := row("a"); !regexp.MustCompile(`ready\s+v0\.34\.\d+\s+linux/amd64 \(native\),.*linux/arm64.*\s0/3$`).MatchString(a) {
		t.Errorf("row a: %q", a)
	}
	// b declares arm64 as what it builds natively: amd64 is then emulated
	if b := row("b"); !strings.Contains(b, "linux/arm64 (native)") || strings.Contains(b, "linux/amd64 (native)") {
		t.Errorf("row b: %q", b)
	}
	if g := row("gone"); !strings.Contains(g, "unreachable") {
		t.Errorf("row gone: %q", g)
	}
	if !strings.Contains(r.out, "gone: builder unix://"+dir+"/none.sock: no BuildKit answering") {
		t.Errorf("no reason for the unreachable node:\n%s", r.out)
	}

	// The same nodes as --builder values, and a bad pool file's position.
	r = client.kiln(t, dir, "pool", "ls", "--builder", addrs[0], "--builder", addrs[1])
	if r.code != 0 || strings.Count(r.out, " ready ") != 2 {
		t.Errorf("pool ls --builder x2:\n%s", r.out)
	}
	os.WriteFile(poolFile, []byte("node \"a\" {\n  address = \"http://x\"\n}\n"), 0o644)
	r = client.kiln(t, dir, "pool", "ls", "--pool", poolFile)
	if r.code == 0 || !strings.Contains(r.out, poolFile+`:2:13: node "a": address "http://x": want embedded`) {
		t.Errorf("bad pool file: exit %d\n%s", r.code, r.out)
	}
}
