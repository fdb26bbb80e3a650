package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bigOutputBake builds a target whose output holds a file of SIZE MiB of
// random bytes, so that its export takes long enough to be interrupted.
func bigOutputBake(t *testing.T, output string) string {
	return baseTarget(t, "linux/amd64") + `
variable "SIZE" { default = "1" }
variable "NONCE" { default = "" }
target "big" {
  dockerfile-inline = <<EOT
FROM base AS gen
ARG SIZE
ARG NONCE
RUN dd if=/dev/urandom of=/big bs=1048576 count=$SIZE 2>/dev/null && echo $NONCE > /nonce
FROM scratch
COPY --from=gen /big /nonce /
EOT
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
  args      = { SIZE = SIZE, NONCE = NONCE }
  output    = ["` + output + `"]
}
`
}

// TestIntegrationOutputsSurviveSignals kills kiln (SIGKILL) and interrupts
// it (SIGINT, SIGTERM) at several points of a 64 MiB export, as a tar and as a local
// directory, and checks that the previous output is byte-identical each
// time, that an interrupted kiln removes its temporary, that the next run
// removes what a killed one left, and that a run to completion replaces the
// output (keeping, in a directory, the files BuildKit does not send).
func TestIntegrationOutputsSurviveSignals(t *testing.T) {
	e := freshEngine(t)
	for _, c := range []struct {
		name, output, dest string
		// exporting says, from what is beside dest, that the export is at
		// the point the case names.
		points map[string]func(tmp string) bool
	}{
		{"tar", "type=tar,dest=out/big.tar", "out/big.tar", map[string]func(string) bool{
			"temporary created":  func(tmp string) bool { return true },
			"half of it written": func(tmp string) bool { return size(tmp) >= 32<<20 },
		}},
		{"local", "type=local,dest=out/dir", "out/dir", map[string]func(string) bool{
			// The clone holds the previous 1 MiB big; the new one grows.
			"temporary prepared": func(tmp string) bool { return true },
			"file being written": func(tmp string) bool { return size(filepath.Join(tmp, "big")) >= 8<<20 },
			"half of it written": func(tmp string) bool { return size(filepath.Join(tmp, "big")) >= 32<<20 },
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"docker-bake.hcl": bigOutputBake(t, c.output)})
			dest := filepath.Join(dir, c.dest)
			old := nonce()
			prepare := func() {
				e.bake(t, dir, "--set", "big.args.NONCE="+old, "big").mustSucceed(t)
				if c.name == "local" {
					os.WriteFile(filepath.Join(dest, "keep"), []byte("the user's"), 0o644)
				}
			}
			prepare()
			prev := snapshot(t, dest)
			n := nonce()
			args := e.bakeArgs("--set", "big.args.NONCE="+n, "--set", "big.args.SIZE=64", "big")
			for point, reached := range c.points {
				for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT, syscall.SIGTERM} {
					t.Run(point+"/"+sig.String(), func(t *testing.T) {
						for attempt := 0; ; attempt++ {
							a := e.start(t, dir, args...)
							tmp, ok := pollTemp(dest, a.cmd.Process.Pid, reached, a.done)
							if ok {
								syscall.Kill(a.cmd.Process.Pid, sig)
							}
							if !a.wait(3 * time.Minute) {
								t.Fatalf("kiln did not exit after %s:\n%s", sig, tail(a.output(), 40))
							}
							got := snapshot(t, dest)
							if got != prev && newNonce(dest) == n+"\n" {
								// The export finished before the signal landed:
								// the new output, complete. Try again.
								t.Logf("attempt %d: the export finished before the signal", attempt)
								if attempt == 2 {
									t.Fatalf("the export finished before the signal three times (point %s)", point)
								}
								prepare()
								continue
							}
							if !ok {
								t.Fatalf("kiln failed before the export reached %q:\n%s", point, tail(a.output(), 40))
							}
							if got != prev {
								t.Fatalf("after %s at %q the output is neither the previous one nor the new one:\n%s", sig, point, diffLines(prev, got))
							}
							if sig != syscall.SIGKILL {
								if _, err := os.Lstat(tmp); err == nil {
									t.Errorf("the interrupted kiln left its temporary %s", tmp)
								}
							}
							return
						}
					})
				}
			}
			// A run to completion replaces the output and removes what the
			// killed runs left behind.
			e.kiln(t, dir, args...).mustSucceed(t)
			got := snapshot(t, dest)
			if got == prev || newNonce(dest) != n+"\n" {
				t.Errorf("the completed run did not write the new output:\n%s", got)
			}
			if c.name == "local" && !strings.Contains(got, "keep "+hash([]byte("the user's"))) {
				t.Errorf("a file in the output directory that the build does not send was lost:\n%s", got)
			}
			ents, _ := os.ReadDir(filepath.Dir(dest))
			for _, en := range ents {
				if strings.Contains(en.Name(), ".kiln-tmp-") {
					t.Errorf("left beside the output after a completed run: %s", en.Name())
				}
			}
		})
	}
}

// pollTemp waits until the temporary of kiln process pid beside dest exists
// and reached says the export is at the point wanted; false if kiln exited
// first. (A killed run's temporary stays until the next run cleans it.)
func pollTemp(dest string, pid int, reached func(string) bool, done <-chan struct{}) (string, bool) {
	prefix := fmt.Sprintf(".%s.kiln-tmp-%d-", filepath.Base(dest), pid)
	for {
		select {
		case <-done:
			return "", false
		default:
		}
		ents, _ := os.ReadDir(filepath.Dir(dest))
		for _, en := range ents {
			if strings.HasPrefix(en.Name(), prefix) {
				p := filepath.Join(filepath.Dir(dest), en.Name())
				if reached(p) {
					return p, true
				}
			}
		}
		time.Sleep(time.Millisecond) // polling a file's growth, not ordering
	}
}

func size(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// snapshot lists every entry under p (p itself if a file) with its type,
// mode and content hash: equal snapshots are byte-identical outputs.
func snapshot(t *testing.T, p string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, q)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h := ""
		if fi.Mode().IsRegular() {
			f, err := os.Open(q)
			if err != nil {
				return err
			}
			sum := sha256.New()
			io.Copy(sum, f)
			f.Close()
			h = hex.EncodeToString(sum.Sum(nil))
		}
		fmt.Fprintf(&b, "%s %s %s\n", rel, h, fi.Mode())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// newNonce is the content of the nonce file in the output at dest, the
// last entry the build writes; "" if there is none.
func newNonce(dest string) string {
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		b, _ := os.ReadFile(filepath.Join(dest, "nonce"))
		return string(b)
	}
	f, err := os.Open(dest)
	if err != nil {
		return ""
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return ""
		}
		if strings.TrimPrefix(h.Name, "./") == "nonce" {
			b, _ := io.ReadAll(tr)
			return string(b)
		}
	}
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func diffLines(a, b string) string {
	return "before:\n" + a + "after:\n" + b
}

// TestIntegrationOutputsRejectedBeforeBuilding checks that outputs that
// collide across targets, two streams to stdout, and destinations in a
// read-only directory (an output's or --metadata-file's) fail at once with
// one line naming the targets and the path, before anything is built.
func TestIntegrationOutputsRejectedBeforeBuilding(t *testing.T) {
	e := sharedEngine(t)
	ro := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro).CombinedOutput(); err != nil {
		t.Fatalf("mount a read-only tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", ro).Run() })
	n := nonce()
	for _, c := range []struct {
		name, a, b string
		args       []string
		re         string // must match an error line
		named      []string
	}{
		{"same dest", "type=tar,dest=out/x.tar", "type=oci,dest=out/x.tar", nil,
			`targets "one" and "two": two outputs write to .*/out/x\.tar$`, []string{"one", "two"}},
		{"inside a directory", "type=local,dest=out", "type=tar,dest=out/sub/x.tar", nil,
			`targets "one" and "two": output .*/out/sub/x\.tar is inside output directory .*/out$`, []string{"one", "two"}},
		{"two stdout", "type=tar,dest=-", "type=tar", nil,
			`targets "one" and "two": multiple outputs configured to write to stdout`, []string{"one", "two"}},
		{"read-only dest", "type=tar,dest=" + ro + "/x.tar", "type=local,dest=out", []string{"--allow=fs.write=" + ro},
			`target "one": output ` + ro + `/x\.tar: directory ` + ro + ` is not writable: read-only file system`, []string{"one"}},
		{"read-only metadata file", "type=local,dest=out/a", "type=local,dest=out/b", []string{"--metadata-file", ro + "/m.json"},
			`--metadata-file ` + ro + `/m\.json: directory ` + ro + ` is not writable: read-only file system`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"docker-bake.hcl": fmt.Sprintf(`
target "one" {
  dockerfile-inline = "FROM scratch\nCOPY docker-bake.hcl /%[1]s\n"
  output = [%[2]q]
}
target "two" {
  dockerfile-inline = "FROM scratch\nCOPY docker-bake.hcl /%[1]s\n"
  output = [%[3]q]
}
`, n, c.a, c.b)})
			r := e.kiln(t, dir, e.bakeArgs(append(c.args, "one", "two")...)...)
			r.mustFail(t)
			found := false
			for _, l := range r.errorLines() {
				ok, _ := regexp.MatchString(c.re, l)
				for _, name := range c.named {
					ok = ok && strings.Contains(l, `"`+name+`"`)
				}
				found = found || ok
			}
			if !found {
				t.Errorf("no error line matching %q: %q\n%s", c.re, r.errorLines(), r)
			}
			if strings.Contains(r.out, "COPY docker-bake.hcl") {
				t.Errorf("kiln started building before rejecting the outputs:\n%s", r)
			}
			mustNotExist(t, filepath.Join(dir, "out"))
		})
	}
}
