package solve

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/internal/atomicfile"
)

// An output is written beside its destination, under a name only kiln
// uses, and moved onto it only once the solve succeeded: a reader of the
// destination sees the previous complete output or the new complete one.
// The temporary name holds kiln's pid so that a later run removes what a
// killed run left behind without touching a live run's work:
//
//	.<base>.kiln-tmp-<pid>-<random>
const tmpInfix = ".kiln-tmp-"

// pendingOutput is an output being written: commit moves it into place,
// abort removes it. Both are idempotent; after either, nothing more is
// written.
type pendingOutput interface {
	commit() error
	abort() error
}

// tmpPattern is the os.CreateTemp/MkdirTemp pattern of dest's temporaries.
func tmpPattern(dest string) string {
	return "." + filepath.Base(dest) + tmpInfix + strconv.Itoa(os.Getpid()) + "-*"
}

// removeLeftovers deletes the temporaries of dest that a run which no
// longer exists left (a kill -9): only names of kiln's own pattern.
func removeLeftovers(dest string) {
	dir := filepath.Dir(dest)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta("."+filepath.Base(dest)+tmpInfix) + `([0-9]+)-[0-9]+(\.old)?$`)
	for _, e := range ents {
		m := re.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if m[2] != "" { // the previous output, set aside by a swap that was cut short
			if _, err := os.Lstat(dest); errors.Is(err, fs.ErrNotExist) && os.Rename(p, dest) == nil {
				continue
			}
		}
		os.RemoveAll(p)
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// fileOutput is a tarball output (tar, oci, docker with a dest).
type fileOutput struct {
	dest string // resolved
	mu   sync.Mutex
	f    *os.File
	done bool
}

func newFileOutput(dest string) (*fileOutput, error) {
	dest = request.ResolveDest(dest)
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("destination file %s is a directory", dest)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return nil, err
	}
	removeLeftovers(dest)
	return &fileOutput{dest: dest}, nil
}

// open is the exporter's writer: a new temporary file beside dest, with
// the mode (and, where allowed, owner) dest has, or 0666 less the umask as
// os.Create would give a new file.
func (o *fileOutput) open(map[string]string) (io.WriteCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done || o.f != nil {
		return nil, fmt.Errorf("output %s: already written", o.dest)
	}
	f, err := createTemp(o.dest)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(o.dest); err == nil {
		f.Chmod(fi.Mode().Perm())
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			f.Chown(int(st.Uid), int(st.Gid))
		}
	}
	o.f = f
	return tmpWriter{o}, nil
}

// createTemp is os.CreateTemp with mode 0666 (less the umask) instead of 0600.
func createTemp(dest string) (*os.File, error) {
	prefix, suffix, _ := strings.Cut(tmpPattern(dest), "*")
	for i := 0; ; i++ {
		name := filepath.Join(filepath.Dir(dest), prefix+strconv.FormatUint(uint64(rand.Uint32()), 10)+suffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if os.IsExist(err) && i < 100 {
			continue
		}
		return f, err
	}
}

// tmpWriter writes the temporary; its Close leaves the file for commit.
type tmpWriter struct{ o *fileOutput }

func (w tmpWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	f, done := w.o.f, w.o.done
	w.o.mu.Unlock()
	if done || f == nil {
		return 0, fmt.Errorf("output %s: aborted", w.o.dest)
	}
	return f.Write(p)
}

func (w tmpWriter) Close() error { return nil }

func (o *fileOutput) commit() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done || o.f == nil { // the exporter never wrote: dest untouched
		o.done = true
		return nil
	}
	o.done = true
	f := o.f
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), o.dest)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("output %s: %w", o.dest, err)
	}
	return nil
}

func (o *fileOutput) abort() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done = true
	if o.f == nil {
		return nil
	}
	o.f.Close()
	return removeAll(o.f.Name())
}

// removeAll removes p, again if a writer still running added entries
// between the walk and the final rmdir.
func removeAll(p string) error {
	var err error
	for range 10 {
		if err = os.RemoveAll(p); err == nil {
			return nil
		}
	}
	return err
}

// ReplaceFile replaces path atomically with what write writes, through a
// temporary of the outputs' pattern (so a later run removes one a kill -9
// left behind); the file gets perm.
func ReplaceFile(path string, perm os.FileMode, write func(io.Writer) error) error {
	path = request.ResolveDest(path)
	removeLeftovers(path)
	f, err := createTemp(path)
	if err != nil {
		return err
	}
	return atomicfile.Commit(f, path, perm, write)
}
