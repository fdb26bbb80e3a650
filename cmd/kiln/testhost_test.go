package main

// What a build leaves on the host: mounts, runc containers, processes.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mountsUnder lists mount points under dir (from /proc/self/mountinfo).
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var mps []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, prefix) {
			mps = append(mps, mp)
		}
	}
	return mps
}

func unescapeMountinfo(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// runcContainersUnder lists runc containers (in runc's default root, the one
// the engine uses) whose bundle is under dir.
func runcContainersUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []byte
	var err error
	// runc list fails when a container (another engine's) goes away while it
	// lists; such a failure is retried.
	for i := 0; i < 5; i++ {
		if out, err = exec.Command("runc", "list", "--format", "json").Output(); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("runc list: %v", err)
	}
	var cs []struct {
		ID     string `json:"id"`
		Bundle string `json:"bundle"`
		Status string `json:"status"`
	}
	if s := bytes.TrimSpace(out); len(s) > 0 && string(s) != "null" {
		if err := json.Unmarshal(s, &cs); err != nil {
			t.Fatalf("runc list: %v: %s", err, out)
		}
	}
	var ids []string
	for _, c := range cs {
		if strings.HasPrefix(c.Bundle, strings.TrimSuffix(dir, "/")+"/") {
			ids = append(ids, c.ID+" ("+c.Status+")")
		}
	}
	return ids
}

// processesMatching lists processes whose command line contains s (a build
// step's nonce), whatever runc state directory tracks their container.
func processesMatching(s string) []string {
	pids, _ := filepath.Glob("/proc/[0-9]*")
	var out []string
	for _, p := range pids {
		b, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || !bytes.Contains(b, []byte(s)) || filepath.Base(p) == strconv.Itoa(os.Getpid()) {
			continue
		}
		out = append(out, filepath.Base(p)+" "+strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))))
	}
	return out
}

// binfmtRegistered says whether a qemu handler for arch (e.g. "s390x") is
// registered and enabled in binfmt_misc.
func binfmtRegistered(arch string) bool {
	b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-" + arch)
	return err == nil && bytes.HasPrefix(b, []byte("enabled"))
}
